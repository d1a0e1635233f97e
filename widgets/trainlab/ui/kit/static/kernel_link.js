// Prepended to every trainlab front end (see kernel_link.py): mends a model that anywidget has
// cut off from its kernel.
//
// anywidget (0.9 to 0.11) gives a model's front end 2 s from the model's creation to load. Past
// that it rejects the model's `ready` promise, and every message from the kernel to the model,
// then and for ever after, awaits that promise and is dropped ("[anywidget] Failed to initialize
// model."). A page kept busy for 2 s while it loaded (plotly.js parsing, a loaded machine) was
// left with a plot or a status line that never changed again. Once this front end has loaded, it
// asks anywidget's own message handler whether the model still takes messages. If not, the
// comm's messages go straight to the ipywidgets model (anywidget's wait only ordered them after
// the front end's initialize, which has run by now) and the kernel is asked for the state the
// page missed.
const TRAINLAB_LINKS = (globalThis.__trainlabKernelLinks ??= new Map());

async function trainlabMendLink(model, id) {
  const raw = await model.widget_manager.get_model(id);
  const anyModel = Object.getPrototypeOf(raw);
  const widgetModel = Object.getPrototypeOf(anyModel);
  try {
    // A message of no method: anywidget's handler passes it on once the model is ready, and
    // ipywidgets' ignores it.
    await anyModel._handle_comm_msg.call(raw, { content: { data: { method: "trainlab-probe" } }, buffers: [] });
    return "linked";
  } catch {
    raw.comm.on_msg(widgetModel._handle_comm_msg.bind(raw));
    model.send({ type: "resync" });
    console.warn(`[trainlab] anywidget gave up on model ${id} before its front end loaded; ` +
                 "its messages are taken directly and its state asked for again.");
    return "mended";
  }
}

// Resolves once messages from the kernel reach this model ("linked" or "mended"; "unknown" if
// the check itself failed, when the plot's own ping still tells).
function trainlabKernelLink(model) {
  const id = model.get("_trainlab_id");
  if (!id || !model.widget_manager?.get_model) return Promise.resolve("unknown");
  if (!TRAINLAB_LINKS.has(id)) {
    TRAINLAB_LINKS.set(id, trainlabMendLink(model, id).catch((error) => {
      console.warn("[trainlab] could not check the model's link to its kernel:", error);
      return "unknown";
    }));
  }
  return TRAINLAB_LINKS.get(id);
}
