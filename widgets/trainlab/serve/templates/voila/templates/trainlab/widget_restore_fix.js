// trainlab: a widget output of a Voila page must not fail with "widget model not found" while
// the page's widget manager is still loading the kernel's widgets.
//
// Voila renders every widget output as soon as its app has started, before the widget manager
// has the kernel's widget models (they come in one "update_states" reply to "request_states").
// jupyterlab_widgets 3.0.17 (ipywidgets 8.1.9, #4033) makes get_model poll for a missing model
// every 100 ms for 2 s and then give up *without looking a last time*. When the models arrive in
// that last interval, or while the page is busy past the 2 s (a slow or loaded machine), the
// restore has finished by the time get_model rejects, so the output's renderer concludes the
// model does not exist and shows "Error displaying widget: model not found" for good
// (ipywidgets#4026). Here the page's widget manager waits for the model instead: get_model
// resolves the moment the model is registered, and rejects only after WAIT_MS without it (then
// the renderer falls back to its usual retry when the restore ends, or reports a model that
// really is missing).
//
// The manager is created inside Voila's bundle, out of reach of page scripts; it is caught as it
// assigns its `_models` table (ManagerBase's constructor), before it loads anything.
(function () {
  "use strict";
  const WAIT_MS = 15000;
  const proto = Object.prototype;

  function patch(manager) {
    const waiting = new Map(); // model id -> callbacks to run once it is registered
    const register = manager.register_model;
    manager.register_model = function (id, promise) {
      register.call(this, id, promise);
      const callbacks = waiting.get(id) || [];
      waiting.delete(id);
      callbacks.forEach((callback) => callback());
    };
    manager.get_model = function (id) {
      const known = this._models[id];
      if (known !== undefined) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const found = () => { clearTimeout(timer); resolve(this._models[id]); };
        const timer = setTimeout(() => {
          const rest = (waiting.get(id) || []).filter((callback) => callback !== found);
          if (rest.length) waiting.set(id, rest); else waiting.delete(id);
          reject(new Error("widget model not found"));
        }, WAIT_MS);
        waiting.set(id, [...(waiting.get(id) || []), found]);
      });
    };
    window.__trainlabWidgetRestoreFix = true;
  }

  const unhook = () => { if (Object.getOwnPropertyDescriptor(proto, "_models")) delete proto._models; };
  Object.defineProperty(proto, "_models", {
    configurable: true,
    set(value) {
      Object.defineProperty(this, "_models", { value, writable: true, configurable: true, enumerable: true });
      if (typeof this.get_model === "function" && typeof this.register_model === "function") {
        unhook();
        patch(this);
      }
    },
  });
  setTimeout(unhook, 120000); // a page without widgets: leave Object.prototype as it was
})();
