/*
 * Widget "digit-draw": draw a digit, and the chapter's MNIST network classifies it in the
 * page's Python, showing what each layer computes.
 *
 * The visitor draws on a transparent canvas (mouse, touch or pen through pointer events; or
 * the keyboard: arrow keys move the pen, Space puts it down and lifts it, Delete clears).
 * Drawing needs no Python. When a stroke ends, the canvas's RGBA pixels go at once to
 * cnnlab.inside.inspect_drawing — cnnlab.preprocess, then cnnlab.model.forward with every
 * activation — in one call with {latest: "predict"}. That is the debounce: while Python is busy
 * with one drawing, the strokes that end meanwhile wait as one request, for the newest drawing,
 * so there is never a queue of stale ones (and no timer delays the first).
 * This module and digit-network.js only draw what comes back.
 *
 * Test ids:
 *   digit-canvas       the drawing pad: 280×280 canvas pixels, the ink in the alpha channel
 *   clear              the Clear button
 *   prediction         the most probable digit; empty while there is none
 *   message            "Draw a digit", loading and error messages
 *   probabilities      ten items with data-digit and data-p (the probability, a number)
 *   latency-ms         the forward pass's time in ms, measured in Python (time.perf_counter)
 *   model-input        the 28×28 input the network sees
 *   preprocess-stages  a <details> with one figure per stage: data-stage, data-shape "H×W"
 *   feature-maps ...   the network view, see digit-network.js
 * The widget's element has data-state (loading | empty | waiting | done | error),
 * data-version (counts the drawing's changes: strokes and Clear) and, once a result is shown,
 * data-shown-version (the version it is for), data-stroke-ms (stroke end to result drawn),
 * data-request-ms (request to Python to result drawn) and data-render-ms
 * (drawing the result).
 * A "cnnlab-draw-input" event on the element whose detail is 784 numbers (a 28×28 input,
 * row by row) shows the network's view of that input instead of the drawing.
 */
import { el, problemText } from "./kit.js";
import { blank, paintImage } from "./digit-paint.js";
import { createNetworkView } from "./digit-network.js";

const PAD = 280; // canvas pixels; on screen it may be smaller: the ink scales with it
const PEN = 0.08 * PAD; // pen width, proportional to the canvas
const UNDO_STEPS = 30; // snapshots kept for Undo (0.3 MB each)
const KEY_STEP = PAD / 28; // the keyboard pen moves one input pixel per arrow key (Shift: finer)
const STAGES = {
  ink: "the canvas's ink (alpha)",
  cropped: "cropped to the ink",
  stroke_normalised: "stroke width normalised",
  scaled_20: "longer side 20 px",
  centred_28: "centre of mass at the centre",
};

/** The drawing pad: a canvas that draws smooth strokes and reports when one ends. */
function createPad({ onStrokeStart, onStrokeEnd, onClearKey }) {
  const canvas = el("canvas", {
    class: "cnnlab-draw__canvas", testid: "digit-canvas", width: PAD, height: PAD, tabindex: "0",
    role: "application", "aria-label": "Drawing pad. Draw a digit with the mouse, a finger or a pen. " +
      "Keyboard: arrow keys move the pen, Space puts it down or lifts it, Delete or Backspace clears, " +
      "Ctrl+Z undoes the last stroke or Clear.",
  });
  const cursor = el("div", { class: "cnnlab-draw__cursor", "aria-hidden": "true" });
  const context = canvas.getContext("2d", { willReadFrequently: true }); // read at each stroke end
  let recent = null; // the current stroke's last two points, or null between strokes
  let pointer = null; // the id of the pointer drawing
  const pen = { x: PAD / 2, y: PAD / 2, down: false }; // the keyboard's pen
  let inked = false;
  const history = []; // what the canvas held before each stroke and each Clear: {image, inked}
  function remember() {
    history.push({ image: context.getImageData(0, 0, PAD, PAD), inked });
    if (history.length > UNDO_STEPS) history.shift();
  }

  const midpoint = (a, b) => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  function setStyle() {
    Object.assign(context, { lineWidth: PEN, lineCap: "round", lineJoin: "round", strokeStyle: "#000", fillStyle: "#000" });
  }
  setStyle();

  function begin(point) {
    remember();
    onStrokeStart();
    inked = true;
    recent = [point];
    context.beginPath();
    context.arc(point[0], point[1], PEN / 2, 0, 2 * Math.PI);
    context.fill();
  }
  // A quadratic curve from the midpoint before the last point, through it, to the next
  // midpoint: consecutive pieces join smoothly, however far apart the events are.
  function extend(point) {
    const last = recent[recent.length - 1];
    if (Math.hypot(point[0] - last[0], point[1] - last[1]) < 0.5) return;
    const from = recent.length > 1 ? midpoint(recent[0], last) : last;
    const to = midpoint(last, point);
    context.beginPath();
    context.moveTo(from[0], from[1]);
    context.quadraticCurveTo(last[0], last[1], to[0], to[1]);
    context.stroke();
    recent = [last, point];
  }
  function end() {
    if (!recent) return;
    if (recent.length > 1) {
      const from = midpoint(recent[0], recent[1]);
      context.beginPath();
      context.moveTo(from[0], from[1]);
      context.lineTo(recent[1][0], recent[1][1]);
      context.stroke();
    }
    recent = null;
    onStrokeEnd();
  }

  function position(event) {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) * PAD) / box.width, ((event.clientY - box.top) * PAD) / box.height];
  }
  canvas.addEventListener("pointerdown", (event) => {
    if (pointer !== null || event.button > 0) return; // one pointer at a time, primary button
    event.preventDefault();
    pointer = event.pointerId;
    canvas.setPointerCapture(event.pointerId);
    canvas.focus({ preventScroll: true });
    begin(position(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== pointer) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    (events.length ? events : [event]).forEach((e) => extend(position(e)));
  });
  const finish = (event) => {
    if (event.pointerId !== pointer) return;
    pointer = null;
    end();
  };
  ["pointerup", "pointercancel", "lostpointercapture"].forEach((type) => canvas.addEventListener(type, finish));
  // touch-action: none (CSS) keeps a finger from scrolling; this covers browsers without it.
  canvas.addEventListener("touchmove", (event) => event.preventDefault(), { passive: false });

  function moveCursor() {
    Object.assign(cursor.style, { left: `${(100 * pen.x) / PAD}%`, top: `${(100 * pen.y) / PAD}%` });
    cursor.classList.toggle("is-down", pen.down);
  }
  canvas.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? KEY_STEP / 3 : KEY_STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (event.key in moves) {
      pen.x = Math.min(PAD, Math.max(0, pen.x + moves[event.key][0]));
      pen.y = Math.min(PAD, Math.max(0, pen.y + moves[event.key][1]));
      if (pen.down) extend([pen.x, pen.y]);
    } else if (event.key === " " || event.key === "Enter") {
      pen.down = !pen.down;
      if (pen.down) begin([pen.x, pen.y]);
      else end();
    } else if (event.key === "Delete" || event.key === "Backspace") {
      onClearKey();
    } else {
      return;
    }
    event.preventDefault();
    moveCursor();
  });
  canvas.addEventListener("blur", () => {
    if (!pen.down) return;
    pen.down = false;
    moveCursor();
    end();
  });
  moveCursor();

  return {
    element: el("div", { class: "cnnlab-draw__pad" }, canvas, cursor,
      el("p", { class: "cnnlab-draw__placeholder", "aria-hidden": "true" }, "draw a digit here")),
    canvas,
    get inked() {
      return inked;
    },
    pixels: () => context.getImageData(0, 0, PAD, PAD).data,
    get canUndo() {
      return history.length > 0;
    },
    /** Back to the canvas before the last stroke or Clear; false when there is none. */
    undo() {
      if (recent) end();
      const last = history.pop();
      if (!last) return false;
      context.putImageData(last.image, 0, 0);
      inked = last.inked;
      return true;
    },
    clear() {
      if (inked) remember();
      context.clearRect(0, 0, PAD, PAD);
      inked = false;
      recent = null;
      pen.down = false;
      moveCursor();
    },
  };
}

CNNLab.widgets.register("digit-draw", (element, options, runtime) => {
  let version = 0; // counts the drawing's changes
  let clearedAt = 0; // the version Clear made: older results are not shown
  const strokeEnds = new Map(); // version -> when its stroke ended
  let latest = null; // the result on screen
  let overview = null; // kernels and receptive fields (cnnlab.inside.overview)
  let overviewGeneration = -1; // the Python that overview came from

  const pad = createPad({
    onStrokeStart: () => element.classList.add("is-inked"),
    onStrokeEnd: () => {
      version += 1;
      strokeEnds.set(version, performance.now());
      element.dataset.version = version;
      predict();
    },
    onClearKey: () => clear(),
  });
  const clearButton = el("button", { type: "button", class: "cnnlab-button", testid: "clear", onclick: () => clear() }, "Clear");
  const undoButton = el("button", { type: "button", class: "cnnlab-button", testid: "undo", disabled: true,
    title: "Undo the last stroke or Clear (Ctrl+Z)", onclick: () => undo() }, "Undo");

  const prediction = el("output", { class: "cnnlab-draw__prediction", testid: "prediction", "aria-live": "polite" });
  const message = el("p", { class: "cnnlab-draw__message", testid: "message", "aria-live": "polite" });
  const latency = el("span", { testid: "latency-ms" }, "–");
  const preprocessTime = el("span", {}, "–");
  const bars = Array.from({ length: 10 }, (_, digit) => el("li", { "data-digit": digit },
    el("span", { class: "cnnlab-draw__digit" }, String(digit)),
    el("span", { class: "cnnlab-draw__bar" }, el("span", { class: "cnnlab-draw__bar-fill" })),
    el("span", { class: "cnnlab-draw__number" }, "")));
  const probabilities = el("ol", { class: "cnnlab-draw__probabilities", testid: "probabilities",
    "aria-label": "probability of each digit" }, bars);

  const modelInput = el("canvas", { class: "cnnlab-draw__input", testid: "model-input", width: 28, height: 28,
    role: "img", "aria-label": "the 28×28 input the network sees" });
  blank(modelInput, 28, 28);
  const stageFigures = el("div", { class: "cnnlab-draw__stages" });
  const stages = el("details", { class: "cnnlab-draw__steps", testid: "preprocess-stages" },
    el("summary", {}, "Step by step: from the drawing to the 28×28 input"), stageFigures);
  stages.addEventListener("toggle", () => drawStages());

  // The network view (~500 elements) is built in a task after this one, so that neither task
  // (nor the page's rendering after each) is long while the page opens; it shows what came
  // meanwhile.
  let network = null;
  const networkSlot = el("div");
  setTimeout(() => {
    network = createNetworkView();
    networkSlot.replaceWith(network.element);
    if (overview) network.setOverview(overview);
    if (latest) network.show(latest);
  }, 0);

  element.replaceChildren(
    el("div", { class: "cnnlab-draw" },
      el("div", { class: "cnnlab-draw__left" }, pad.element,
        el("div", { class: "cnnlab-draw__tools" }, clearButton, undoButton,
          el("span", { class: "cnnlab-draw__hint" }, "Draw with a mouse, finger or pen; Ctrl+Z undoes."))),
      el("div", { class: "cnnlab-draw__right" },
        el("div", { class: "cnnlab-draw__verdict" },
          el("div", { class: "cnnlab-draw__answer" }, el("span", { class: "cnnlab-draw__label" }, "The network reads"), prediction),
          el("figure", { class: "cnnlab-draw__seen" }, modelInput, el("figcaption", {}, "what it sees: 28×28"))),
        message,
        probabilities,
        el("p", { class: "cnnlab-draw__timing" }, "Forward pass ", latency, " ms, preprocessing ", preprocessTime,
          " ms: NumPy in this page."))),
    stages,
    networkSlot,
  );

  function setState(state, text = "") {
    element.dataset.state = state;
    message.textContent = text;
    message.classList.toggle("is-error", state === "error");
  }

  function showEmpty(text = "Draw a digit") {
    latest = null;
    prediction.textContent = "";
    bars.forEach((bar) => {
      delete bar.dataset.p;
      bar.classList.remove("is-top");
      bar.querySelector(".cnnlab-draw__bar-fill").style.width = "0";
      bar.querySelector(".cnnlab-draw__number").textContent = "";
    });
    latency.textContent = "–";
    preprocessTime.textContent = "–";
    blank(modelInput, 28, 28);
    network?.clear();
    drawStages();
    setState(runtime.state === "ready" ? "empty" : "loading", text);
    element.dataset.shownVersion = version; // (show() corrects it for an older drawing)
  }

  function show(result, shownVersion, sent) {
    const received = performance.now();
    if (result.empty) {
      showEmpty(result.message); // Python says when there is too little ink to read
    } else {
      latest = result;
      const p = Array.from(result.probabilities.data);
      prediction.textContent = String(result.prediction);
      bars.forEach((bar, digit) => {
        bar.dataset.p = p[digit];
        bar.classList.toggle("is-top", digit === result.prediction);
        bar.querySelector(".cnnlab-draw__bar-fill").style.width = `${(100 * p[digit]).toFixed(2)}%`;
        bar.querySelector(".cnnlab-draw__number").textContent = `${(100 * p[digit]).toFixed(1)}%`;
      });
      latency.textContent = result.forward_ms.toFixed(1);
      preprocessTime.textContent = result.preprocess_ms === undefined ? "–" : result.preprocess_ms.toFixed(1);
      paintImage(modelInput, result.input);
      network?.show(result);
      drawStages();
      setState("done");
    }
    const now = performance.now();
    element.dataset.shownVersion = shownVersion;
    element.dataset.requestMs = (now - sent).toFixed(2);
    element.dataset.renderMs = (now - received).toFixed(2);
    if (strokeEnds.has(shownVersion)) element.dataset.strokeMs = (now - strokeEnds.get(shownVersion)).toFixed(2);
    strokeEnds.forEach((_, v) => v <= shownVersion && strokeEnds.delete(v));
  }

  function drawStages() {
    if (!stages.open) return;
    if (!latest || !latest.stages) {
      stageFigures.replaceChildren(el("p", { class: "cnnlab-draw__note" }, "Draw a digit to see its preprocessing."));
      return;
    }
    stageFigures.replaceChildren(...Object.entries(latest.stages).map(([name, image], k) => {
      const [height, width] = image.shape;
      const canvas = el("canvas", { width, height });
      paintImage(canvas, image);
      const rem = 4.6 / Math.max(height, width); // the longer side 4.6 rem
      canvas.style.width = `${width * rem}rem`;
      canvas.style.height = `${height * rem}rem`;
      return el("figure", { class: "cnnlab-draw__stage", "data-stage": name, "data-shape": `${height}×${width}` },
        el("div", { class: "cnnlab-draw__stage-image" }, canvas),
        el("figcaption", {}, `${k + 1}. ${STAGES[name] || name}`, el("br"), `${height}×${width}`));
    }));
  }

  async function request(name, args, shownVersion) {
    const sent = performance.now();
    element.dataset.state = "waiting";
    try {
      const result = await runtime.call(name, args, {}, { latest: "predict" });
      if (shownVersion >= clearedAt) show(result, shownVersion, sent);
    } catch (error) {
      const text = problemText(error);
      if (text === null) return;
      showEmpty(); // no stale prediction next to a drawing it is not of
      setState("error", text);
    }
  }

  /** What the pad says while Python is not ready: the runtime's state, in words. */
  function waitingText() {
    return runtime.state === "error"
      ? "Python could not be loaded (see the status above): your digit is read once Retry succeeds."
      : "Python is loading: your digit is read as soon as it is ready.";
  }

  function predict() {
    undoButton.disabled = !pad.canUndo;
    if (runtime.state !== "ready") {
      setState(runtime.state === "error" ? "error" : "loading", waitingText());
      return; // onReady predicts
    }
    if (!pad.inked) {
      showEmpty();
      return;
    }
    request("cnnlab.inside.inspect_drawing", [pad.pixels(), [PAD, PAD, 4]], version);
  }

  function clear() {
    pad.clear();
    version += 1;
    clearedAt = version;
    element.dataset.version = version;
    element.classList.remove("is-inked");
    undoButton.disabled = !pad.canUndo;
    showEmpty();
  }

  function undo() {
    if (!pad.undo()) return;
    version += 1;
    clearedAt = version; // a result for the undone drawing is not shown
    element.dataset.version = version;
    element.classList.toggle("is-inked", pad.inked);
    predict();
  }
  element.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z") {
      event.preventDefault();
      undo();
    }
  });

  element.addEventListener("cnnlab-draw-input", (event) => {
    version += 1;
    element.dataset.version = version;
    request("cnnlab.inside.inspect_input", [Float32Array.from(event.detail)], version);
  });

  const stopReady = runtime.onReady(async () => {
    if (overviewGeneration !== runtime.generation) {
      try {
        overview = await runtime.call("cnnlab.inside.overview");
        network?.setOverview(overview);
        overviewGeneration = runtime.generation;
      } catch (error) {
        const text = problemText(error);
        if (text !== null) setState("error", text);
        return;
      }
    }
    predict();
  });

  element.dataset.version = version;
  showEmpty(runtime.state === "ready" ? "Draw a digit" : "Draw a digit. Python is loading; it reads your digit once it is ready.");
  // The pad's words follow the runtime: loading, failed (Retry above), or ready again.
  const stopStatus = runtime.onStatus(() => {
    if (runtime.state === "error" || (runtime.state === "loading" && element.dataset.state !== "empty")) {
      setState(runtime.state === "error" ? "error" : "loading", waitingText());
    }
  });
  return () => {
    stopReady();
    stopStatus();
  };
});
