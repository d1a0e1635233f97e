// trainlab's status bar: what is drawn, what is being computed (with a spinner, the time it has
// taken so far and a cancel button), the notices, and a message when the kernel is gone: dead,
// or restarted by the server (a restarted kernel has none of the page's widgets), or out of reach.
//
// The elapsed time is counted here, in the browser, so that a long computation needs no message
// from the kernel to show that it is alive. The kernel's state comes from the page's widget
// manager: a kernel that died (out of memory, killed) or a server that went away would otherwise
// leave a page whose controls move and whose figures never change again.

const LOST_AFTER_MS = 3000; // a blip (a reconnect) shorter than this says nothing

function textEl(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  el.textContent = text;
  return el;
}

function watchKernel(model, el) {
  const kernel = model.widget_manager?.kernel;
  if (!kernel?.statusChanged || !kernel?.connectionStatusChanged) return () => {};
  const banner = document.createElement("div");
  banner.className = "trainlab-lost";
  banner.setAttribute("role", "alert");
  banner.append(textEl("span", "", "The connection to this lab's kernel was lost (the server stopped, or the kernel " +
                       "ran out of memory). Nothing you change now is computed. "));
  const reload = textEl("button", "jupyter-widgets jupyter-button widget-button trainlab-reload", "↻ reload the page");
  reload.addEventListener("click", () => location.reload());
  banner.append(reload);
  banner.style.display = "none";
  el.prepend(banner);
  let timer = null;
  let ended = false; // the kernel died or restarted: its widgets are gone until the page reloads
  const show = () => {
    banner.style.display = "";
    el.classList.add("trainlab-disconnected");
  };
  const check = () => {
    ended = ended || ["dead", "restarting", "autorestarting", "terminating"].includes(kernel.status);
    const away = kernel.connectionStatus === "disconnected" || kernel.connectionStatus === "connecting";
    if (ended) {
      clearTimeout(timer);
      show();
    } else if (!away) {
      clearTimeout(timer);
      timer = null;
      banner.style.display = "none";
      el.classList.remove("trainlab-disconnected");
    } else if (timer === null) {
      timer = setTimeout(show, LOST_AFTER_MS); // a reconnect within it keeps the page as it is
    }
  };
  kernel.statusChanged.connect(check);
  kernel.connectionStatusChanged.connect(check);
  check();
  return () => {
    clearTimeout(timer);
    kernel.statusChanged.disconnect(check);
    kernel.connectionStatusChanged.disconnect(check);
  };
}

function render({ model, el }) {
  el.classList.add("trainlab-status");
  const busyRow = document.createElement("div");
  busyRow.className = "trainlab-busy";
  const spinner = textEl("span", "trainlab-spinner", "");
  const label = textEl("span", "trainlab-busy-label", "");
  const elapsed = textEl("span", "trainlab-elapsed", "");
  const bar = document.createElement("progress");
  bar.className = "trainlab-progress";
  bar.max = 1;
  const cancel = textEl("button", "jupyter-widgets jupyter-button widget-button trainlab-cancel", "✕ cancel");
  cancel.title = "stop this computation; the figure keeps the last result";
  cancel.addEventListener("click", () => model.send({ type: "cancel" }));
  busyRow.append(spinner, label, bar, elapsed, cancel);
  const line = textEl("div", "trainlab-status-line", "");
  const notices = document.createElement("div");
  notices.className = "trainlab-notices";
  el.append(busyRow, line, notices);

  let started = 0;
  let ticker = null;
  const tick = () => { elapsed.textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`; };
  // How much of the job is done, when the kernel knows (-1: it does not).
  const showProgress = () => {
    const done = model.get("progress");
    bar.style.display = model.get("busy") && done >= 0 ? "" : "none";
    if (done >= 0) bar.value = done;
  };
  const showBusy = () => {
    const what = model.get("busy");
    busyRow.style.display = what ? "" : "none";
    clearInterval(ticker);
    ticker = null;
    showProgress();
    if (what) {
      label.textContent = `computing ${what}`;
      started = performance.now();
      tick();
      ticker = setInterval(tick, 100);
    }
  };
  const showLine = () => {
    line.replaceChildren();
    (model.get("line") ?? []).forEach(([cls, text], i) => {
      if (i > 0) line.append(" · ");
      line.append(textEl("span", cls, text));
    });
  };
  const showNotices = () => {
    notices.replaceChildren(...(model.get("notices") ?? []).map(([level, text]) =>
      textEl("div", `trainlab-notice trainlab-notice-${level}`, text)));
  };
  model.on("change:busy_serial", showBusy);
  model.on("change:busy", showBusy);
  model.on("change:progress", showProgress);
  model.on("change:line", showLine);
  model.on("change:notices", showNotices);
  showBusy();
  showLine();
  showNotices();
  const unwatch = watchKernel(model, el);
  return () => {
    clearInterval(ticker);
    unwatch();
  };
}

// The link is mended (if need be) as soon as the front end loads, before any view is drawn.
export default { initialize: ({ model }) => { trainlabKernelLink(model); }, render };
