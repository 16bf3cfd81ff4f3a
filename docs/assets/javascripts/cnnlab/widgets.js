/*
 * Widgets: the ```widget blocks of a page (HTML from hooks/code_cells.py).
 *
 * A widget is an ES module docs/assets/javascripts/widgets/<name>.js that registers itself:
 *
 *   CNNLab.widgets.register("output-size", (element, options, runtime) => {
 *     // build the widget inside `element` (it holds a fallback text to replace);
 *     // `options` is the YAML of the fence; compute with runtime.call (a named cnnlab.pages function);
 *     // optionally return a function that cleans up when the visitor leaves the page.
 *   });
 *
 * The page imports the module when a block names it; mount errors are shown in the widget.
 * While the page's Python is not ready, a line at the top of each widget says what the runtime
 * does (loading, or failed: which file, and Retry), as the status box does; a widget that says
 * so in its own words registers with {ownsRuntimeState: true}.
 */

const registry = new Map(); // name -> {mount, ownsRuntimeState}

export function register(name, mount, { ownsRuntimeState = false } = {}) {
  registry.set(name, { mount, ownsRuntimeState });
}

/** The widget's line saying what Python does until it is ready (data-testid="widget-runtime"). */
function runtimeLine(element, runtime) {
  const line = document.createElement("p");
  line.className = "cnnlab-widget__runtime";
  line.dataset.testid = "widget-runtime";
  element.prepend(line);
  return runtime.onStatus(() => {
    line.dataset.state = runtime.state === "idle" ? "loading" : runtime.state;
    line.hidden = runtime.state === "ready";
    line.textContent = runtime.state === "error"
      ? `Python could not be loaded: ${runtime.error}. Retry, in the box at the top of the page, `
        + "loads it again; this widget then updates."
      : "Python is loading: this widget updates once it is ready.";
  });
}

function showProblem(element, text) {
  const message = document.createElement("p");
  message.className = "cnnlab-widget__problem";
  message.setAttribute("role", "alert");
  message.textContent = text;
  element.replaceChildren(message);
}

/** Mount every widget in `container`; resolves to their cleanup functions. */
export async function mountWidgets(container, runtime, widgetsBase) {
  const elements = [...container.querySelectorAll('[data-testid="widget"]')];
  const cleanups = await Promise.all(
    elements.map(async (element) => {
      const name = element.dataset.widget;
      try {
        if (!registry.has(name)) await import(new URL(`${name}.js`, widgetsBase).href);
        const entry = registry.get(name);
        if (!entry) throw new Error(`widgets/${name}.js did not register "${name}"`);
        element.classList.add("cnnlab-widget--mounted");
        const cleanup = await entry.mount(element, JSON.parse(element.dataset.options || "{}"), runtime);
        if (entry.ownsRuntimeState) return cleanup;
        const stopLine = runtimeLine(element, runtime);
        return () => {
          stopLine();
          if (typeof cleanup === "function") cleanup();
        };
      } catch (error) {
        showProblem(element, `This widget could not start: ${error.message}`);
        return undefined;
      }
    }),
  );
  return cleanups.filter((cleanup) => typeof cleanup === "function");
}
