// trainlab's plot front end: a few dozen lines so that it initializes in any page at once.
//
// plotly.js itself (4.8 MB) is not shipped in the widget state. trainlab's own pages (its Voila
// template) get the smallest of its bundles that draws the figure from the server. Other pages
// already have it: the jupyterlab-plotly renderer that JupyterLab loads defines window.Plotly as
// soon as it draws a figure, and every trainlab widget shows a tiny hidden plotly output for that.
// If neither works (a front end without the renderer), the kernel is asked once per page for
// plotly.min.js, sent as a binary buffer and shared by every widget on the page.

const RENDERER_GRACE_MS = 2500; // no plotly renderer seen by then: ask the kernel
const RENDERER_WAIT_MS = 30000; // a renderer was seen: give a slow client this long
const PLOTLY_LOAD_MS = 60000; // plotly.js not there by then: say so
const KERNEL_REPLY_MS = 15000; // no reply to the ping by then: this plot gets no updates

const RELOAD = "Reload the page (F5) to fix it; your settings in the address bar are kept.";

// A visible notice over the plot instead of blank axes: what went wrong and what to do.
function notice(el, text) {
  let box = el.querySelector(":scope > .trainlab-plot-notice");
  if (!box) {
    box = document.createElement("div");
    box.className = "trainlab-plot-notice";
    box.setAttribute("role", "alert");
    el.prepend(box);
  }
  box.textContent = text;
}

function clearNotice(el) {
  el.querySelector(":scope > .trainlab-plot-notice")?.remove();
}

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
}

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    // plotly.js's bundles are UMD: hide an AMD loader so that they define window.Plotly.
    const amd = window.define;
    window.define = undefined;
    const done = () => { window.define = amd; URL.revokeObjectURL(url); };
    script.onload = () => { done(); resolve(window.Plotly); };
    script.onerror = () => { done(); reject(new Error("plotly.js failed to load")); };
    script.src = url;
    document.head.appendChild(script);
  });
}

// The whole of plotly.js sent by the kernel as a binary buffer: asked once per page.
function fromKernel(model) {
  window.__trainlabFromKernel ??= new Promise((resolve, reject) => {
    const onMessage = (msg, buffers) => {
      if (msg?.type !== "plotly-js") return;
      model.off("msg:custom", onMessage);
      loadScript(URL.createObjectURL(new Blob([buffers[0]], { type: "text/javascript" }))).then(resolve, reject);
    };
    model.on("msg:custom", onMessage);
    model.send({ type: "plotly-js" });
  });
  return window.__trainlabFromKernel;
}

// A page made by trainlab's page template (trainlab serve, Binder's Voila) says where trainlab
// serves plotly.js's bundles (window.trainlabPlotly; figures/plotly_bundles.py): a plot loads the
// one the kernel names for its figures. Each bundle loads once per page, one at a time (each sets
// window.Plotly as it runs). A bundle the server does not give: the kernel sends all of plotly.js.
function served(model, file) {
  const page = window.trainlabPlotly;
  page.loaded ??= {};
  if (!page.loaded[file]) {
    const before = page.queue ?? Promise.resolve();
    page.loaded[file] = page.queue = before.catch(() => {}).then(async () => {
      const response = await (page.fetched?.[file] ?? fetch(page.base + file));
      if (!response?.ok) throw new Error(response ? `HTTP ${response.status}` : "no answer");
      return loadScript(URL.createObjectURL(await response.blob()));
    }).catch((error) => {
      console.warn(`[trainlab] ${file} did not load from the server (${error.message}): plotly.js comes from the kernel`);
      return fromKernel(model);
    });
  }
  return page.loaded[file];
}

// Any other page (JupyterLab, Notebook 7, Voila with jupyterlab-plotly): the page's renderer has
// the whole of plotly.js, or else the kernel sends it.
function fromPage(model) {
  window.__trainlabPlotly ??= new Promise((resolve, reject) => {
    const started = performance.now();
    const poll = () => {
      if (window.Plotly) return resolve(window.Plotly);
      const waited = performance.now() - started;
      const rendererSeen = document.querySelector(".jp-RenderedPlotly") !== null;
      if (waited > (rendererSeen ? RENDERER_WAIT_MS : RENDERER_GRACE_MS)) {
        fromKernel(model).then(resolve, reject);
      } else {
        setTimeout(poll, 25);
      }
    };
    poll();
  });
  return window.__trainlabPlotly;
}

const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

async function render({ model, el }) {
  el.classList.add("trainlab-plot");
  const node = document.createElement("div");
  node.className = "trainlab-plot-area";
  el.appendChild(node);

  // Does this plot hear from the kernel? kernel_link.js mends the one known way to lose it
  // (anywidget's 2 s limit); if anything else cuts it off, the plot would keep its first figure
  // for ever and must say so. The kernel answers a ping at once.
  const noReply = setTimeout(() => notice(el, "This plot is not receiving updates from the kernel " +
                                              "(the page was too busy while it loaded). " + RELOAD),
                             KERNEL_REPLY_MS);
  const onReply = (msg) => {
    if (msg?.type !== "pong") return;
    clearTimeout(noReply);
    el.dataset.connected = "1";
    clearNotice(el);
  };
  model.on("msg:custom", onReply);
  await trainlabKernelLink(model); // a reply to a model cut off from its kernel would be lost
  model.send({ type: "ping" });

  // Never a silent wait: while plotly.js loads, a line says so, with a spinner and the time
  // (shown after 0.2 s, by the trainlab-busy style, so that a quick load does not flash).
  const load = async (file) => {
    const line = document.createElement("div");
    line.className = "trainlab-busy trainlab-plot-loading";
    line.innerHTML = '<span class="trainlab-spinner"></span><span></span>';
    const started = performance.now();
    const what = window.trainlabPlotly ? `plotly.js, ${file}` : "plotly.js";
    const tick = () => {
      line.lastChild.textContent = `loading the plotting library (${what}) · ` +
                                   `${((performance.now() - started) / 1000).toFixed(1)} s`;
    };
    tick();
    const timer = setInterval(tick, 100);
    el.prepend(line);
    try {
      return await withTimeout(window.trainlabPlotly ? served(model, file) : fromPage(model), PLOTLY_LOAD_MS);
    } catch (error) {
      console.error("[trainlab] plotly.js did not load:", error);
      notice(el, "The plotting library (plotly.js) did not load. " + RELOAD);
      return null;
    } finally {
      clearInterval(timer);
      line.remove();
    }
  };
  let bundle = model.get("bundle");
  let Plotly = await load(bundle);
  if (!Plotly) return () => { clearTimeout(noReply); model.off("msg:custom", onReply); };

  // Clicks go to the kernel, which may use them (the optimizer race takes its start point), with
  // the subplot clicked ("xy", "x2y2"). A figure with layout.clickanywhere reports the spot clicked
  // (xvals, yvals) even where no trace is; otherwise the point clicked.
  const listen = () => node.on("plotly_click", (event) => {
    const point = event?.points?.[0];
    const xaxis = event?.xaxes?.[0] ?? point?.xaxis, yaxis = event?.yaxes?.[0] ?? point?.yaxis;
    const x = event?.xvals?.[0] ?? point?.x, y = event?.yvals?.[0] ?? point?.y;
    if (typeof x === "number" && typeof y === "number" && xaxis && yaxis) {
      model.send({ type: "click", x, y, subplot: xaxis._id + yaxis._id });
    }
  });
  // Plotly.react does not draw sliders or buttons that a figure gains (seen with plotly.js 3:
  // a live figure turning into an animated one kept its old look), so a figure that gains or
  // loses them is drawn afresh; newPlot drops event handlers, so they are attached again.
  const controlsOf = (f) => JSON.stringify([(f.frames ?? []).length > 0, (f.layout?.sliders ?? []).length,
                                            (f.layout?.updatemenus ?? []).length]);
  let drawnControls = null;

  // A running animation keeps playing its frames onto whatever the plot shows next (plotly.js
  // holds its queue apart from the figure), and a frame's axis change finishes later still: a
  // figure drawn mid-sweep (a control changed) got old frames, and plotly.js threw on the purged
  // plot. So empty the queue and let the frame in progress end (2 s at most) before drawing.
  const animating = () => Boolean(node._transitionData?._animationRaf || node._transitioning);
  const stopAnimation = async () => {
    if (!animating()) return;
    Plotly.animate(node, [], { mode: "immediate" }).catch(() => {});
    const until = performance.now() + 2000;
    while (animating() && performance.now() < until) await new Promise((done) => setTimeout(done, 30));
    await new Promise((done) => setTimeout(done, 60)); // the axes' last relayout after it
  };
  // Play only once the figure asked for is drawn (its frames are added as it is drawn).
  let playNext = null;
  const play = (options) => Plotly.animate(node, null, options).catch(() => {}); // an interrupted play rejects

  // Latest wins: a burst of figure changes draws once, with the newest figure.
  let drawing = false;
  let again = false;
  const draw = async () => {
    if (drawing) { again = true; return; }
    drawing = true;
    try {
      do {
        again = false;
        const figure = model.get("figure") ?? {};
        if (!figure.data && !figure.layout && drawnControls === null) {
          // Nothing computed yet: a line of text, not empty axes.
          if (!node.dataset.waiting) node.textContent = "Computing the plot…";
          node.dataset.waiting = "1";
          continue;
        }
        if (node.dataset.waiting) { node.textContent = ""; delete node.dataset.waiting; }
        if (model.get("bundle") !== bundle) {
          // The figure needs a larger bundle (a 3-D view): it is drawn afresh with that one.
          bundle = model.get("bundle");
          const larger = await load(bundle);
          if (!larger) return;
          if (larger !== Plotly) {
            await stopAnimation();
            Plotly.purge(node);
            Plotly = larger;
            drawnControls = null;
          }
        }
        const data = [...(model.get("base") ?? []), ...(figure.data ?? [])];
        const controls = controlsOf(figure);
        const fresh = controls !== drawnControls;
        drawnControls = controls;
        const plot = fresh ? Plotly.newPlot : Plotly.react;
        await stopAnimation();
        await plot(node, { data, layout: figure.layout ?? {}, frames: figure.frames ?? [], config: CONFIG });
        if (fresh) listen();
        el.dataset.revision = String(model.get("revision"));
      } while (again);
    } finally {
      drawing = false;
    }
    if (playNext) { play(playNext); playNext = null; }
  };
  const onMessage = (msg) => {
    if (msg?.type !== "animate") return;
    if (drawing) playNext = msg.options;
    else play(msg.options);
  };
  model.on("change:figure", draw);
  model.on("msg:custom", onMessage);
  await draw();
  // The view may be drawn before the page gives it its width: follow the container's size.
  const resize = new ResizeObserver(() => { if (node.offsetWidth > 0) Plotly.Plots.resize(node); });
  resize.observe(el);
  return () => {
    clearTimeout(noReply);
    model.off("msg:custom", onReply);
    resize.disconnect();
    model.off("change:figure", draw);
    model.off("msg:custom", onMessage);
    Plotly.purge(node);
  };
}

export default { initialize: ({ model }) => { trainlabKernelLink(model); }, render };
