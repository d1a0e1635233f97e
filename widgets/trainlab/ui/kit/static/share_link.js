// "Link to this view": the page's own address with the widget's state as its query string.
//
// The kernel knows the state but not the address the visitor sees (a proxy, Binder, a hub
// rewrite it), so the link is put together here. In JupyterLab or the classic notebook the
// notebook's Voila address is given instead, since a query string only means something there.

const NOTEBOOK_PAGE = /\/(?:lab\/tree|notebooks|tree)\/(.*\.ipynb)$/;
const VOILA_PAGE = /\/voila\/render\//;
const pageQuerySent = new WeakSet(); // models that have had it: once per page, however many views

function pageAddress() {
  let path = location.pathname;
  const notebook = path.match(NOTEBOOK_PAGE);
  if (notebook) path = path.slice(0, notebook.index) + "/voila/render/" + notebook[1];
  return location.origin + path;
}

function render({ model, el }) {
  el.classList.add("trainlab-share");
  const open = document.createElement("button");
  open.className = "jupyter-widgets jupyter-button widget-button trainlab-share-open";
  open.textContent = "↗ link to this view";
  open.title = "the address of this page with the current settings";
  const url = document.createElement("input");
  url.className = "trainlab-share-url";
  url.readOnly = true;
  // style.display, not the hidden attribute: the button classes set a display that would win.
  url.style.display = "none";
  const copy = document.createElement("button");
  copy.className = "jupyter-widgets jupyter-button widget-button trainlab-share-copy";
  copy.textContent = "copy";
  copy.style.display = "none";

  const update = () => {
    const query = model.get("query");
    url.value = pageAddress() + (query ? "?" + query : "");
  };
  open.addEventListener("click", () => {
    update();
    url.style.display = copy.style.display = "";
    url.select();
  });
  copy.addEventListener("click", () => {
    url.select();
    // The clipboard API needs a secure context (https or localhost); the selected text is there otherwise.
    navigator.clipboard?.writeText(url.value).then(() => { copy.textContent = "copied"; }, () => {});
  });
  // The page's own query string, once per page: the kernel applies it as a shared link. Only a
  // Voila page's address is a link to a lab; JupyterLab's carries its own parameters.
  const sendPageQuery = () => {
    if (!model.get("follow_page") || pageQuerySent.has(model)) return;
    if (!VOILA_PAGE.test(location.pathname) || location.search.length < 2) return;
    pageQuerySent.add(model);
    model.send({ type: "page-query", query: location.search.slice(1) });
  };
  model.on("change:query", update);
  model.on("change:follow_page", sendPageQuery);
  trainlabKernelLink(model).then(sendPageQuery);
  el.append(open, url, copy);
  return () => {
    model.off("change:query", update);
    model.off("change:follow_page", sendPageQuery);
  };
}

export default { initialize: ({ model }) => { trainlabKernelLink(model); }, render };
