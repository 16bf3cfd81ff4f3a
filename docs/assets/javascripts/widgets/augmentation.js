/*
 * Widget "augmentation": the chapter's augmentations applied to a digit and to a small colour
 * picture, re-rolled per click. Python draws and transforms the images:
 * cnnlab.samples.augmentation_gallery(seed, value=digit) returns uint8 pixels per panel.
 *
 * Options: digit (0-9, the digit drawn), seed (the first seed; each re-roll adds 1).
 * data-testid: reroll (button), seed (the seed shown), digit (select), panel (one figure per
 * image: data-group "digit" | "colour", data-name), panel-canvas (its pixels, one canvas
 * pixel per image pixel), panel-detail (the random draw in words), status (<output>).
 */
import { drawPixels, el, pythonUpdate } from "./kit.js";

const GROUPS = [
  ["digit", "The digit"],
  ["colour", "The picture"],
];

CNNLab.widgets.register("augmentation", (element, options, runtime) => {
  let seed = Number(options.seed ?? 0);
  const seedText = el("span", { testid: "seed" }, String(seed));
  const reroll = el("button", { type: "button", class: "cnnlab-button cnnlab-button--run", testid: "reroll" }, "Re-roll");
  const digit = el("select", { testid: "digit" },
    Array.from({ length: 10 }, (_, d) => el("option", { value: d, selected: d === Number(options.digit ?? 7) }, String(d))));
  const sections = Object.fromEntries(GROUPS.map(([group]) => [group, el("div", { class: "cnnlab-aug__panels" })]));
  const status = el("output", { testid: "status", "aria-live": "polite" });
  element.replaceChildren(
    el("div", { class: "cnnlab-form cnnlab-aug__controls" }, reroll, el("span", {}, "seed ", seedText), el("label", {}, "digit ", digit)),
    ...GROUPS.map(([group, title]) => el("section", { class: "cnnlab-aug__group" }, el("p", { class: "cnnlab-aug__title" }, title), sections[group])),
    status,
  );

  const render = (gallery) => {
    for (const [group] of GROUPS) {
      sections[group].replaceChildren(...gallery[group].map((panel) => {
        const canvas = el("canvas", { testid: "panel-canvas", role: "img", "aria-label": `${panel.name}: ${panel.detail}` });
        drawPixels(canvas, panel.image);
        return el("figure", { class: "cnnlab-aug__panel", testid: "panel", "data-group": group, "data-name": panel.name },
          canvas,
          el("figcaption", {}, el("strong", {}, panel.name), el("span", { testid: "panel-detail" }, panel.detail)));
      }));
    }
  };

  const compute = pythonUpdate(() => runtime.call("cnnlab.samples.augmentation_gallery", [seed],
    { value: Number(digit.value) }, { latest: element }), render, { root: element, message: status });
  const update = () => {
    seedText.textContent = String(seed);
    compute();
  };
  reroll.addEventListener("click", () => { seed += 1; update(); });
  digit.addEventListener("change", update);
  runtime.onReady(update);
});
