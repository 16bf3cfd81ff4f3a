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
 */

const registry = new Map();

export function register(name, mount) {
  registry.set(name, mount);
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
        const mount = registry.get(name);
        if (!mount) throw new Error(`widgets/${name}.js did not register "${name}"`);
        element.classList.add("cnnlab-widget--mounted");
        return await mount(element, JSON.parse(element.dataset.options || "{}"), runtime);
      } catch (error) {
        showProblem(element, `This widget could not start: ${error.message}`);
        return undefined;
      }
    }),
  );
  return cleanups.filter((cleanup) => typeof cleanup === "function");
}
