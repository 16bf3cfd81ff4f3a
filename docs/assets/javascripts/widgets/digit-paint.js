/*
 * Pictures for the draw page's widget (digit-draw.js, digit-network.js): arrays of numbers
 * painted on canvases, one canvas pixel per element; CSS scales them up without smoothing.
 * Not a widget itself: those modules import it.
 */

/** A 256-entry colour table (r, g, b per entry) interpolated between evenly spaced stops. */
function colourTable(stops) {
  const table = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i += 1) {
    const position = (i / 255) * (stops.length - 1);
    const k = Math.min(Math.floor(position), stops.length - 2);
    const f = position - k;
    for (let c = 0; c < 3; c += 1) table[3 * i + c] = stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f;
  }
  return table;
}

/** Activations (>= 0): a perceptual black-purple-orange-yellow scale, readable in both themes. */
export const INFERNO = colourTable([
  [0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21],
  [250, 193, 39], [252, 255, 164],
]);

/** Images in [0, 1]: MNIST's white digit on black. */
export const GREY = colourTable([[0, 0, 0], [255, 255, 255]]);

/** The largest of `count` values of `data` from `offset` (0 when they are all <= 0). */
export function maximum(data, offset = 0, count = data.length - offset) {
  let high = 0;
  for (let i = offset; i < offset + count; i += 1) if (data[i] > high) high = data[i];
  return high;
}

/**
 * Paint `height` × `width` values of `data` (row-major, from `offset`) on `canvas`:
 * value / scale, clipped to [0, 1], picks the colour from `colours`.
 */
const images = new WeakMap(); // canvas -> its ImageData, reused: a result repaints ~200 canvases

export function paint(canvas, data, { height, width, offset = 0, scale = 1, colours = INFERNO }) {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const context = canvas.getContext("2d");
  let image = images.get(canvas);
  if (!image || image.width !== width || image.height !== height) {
    image = context.createImageData(width, height);
    images.set(canvas, image);
  }
  const pixels = image.data;
  const factor = scale > 0 ? 255 / scale : 0;
  for (let i = 0; i < width * height; i += 1) {
    const level = Math.max(0, Math.min(255, Math.round(data[offset + i] * factor))) * 3;
    pixels[4 * i] = colours[level];
    pixels[4 * i + 1] = colours[level + 1];
    pixels[4 * i + 2] = colours[level + 2];
    pixels[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/** Paint a 2-D NDArray with values in [0, 1] as a grey image. */
export function paintImage(canvas, array) {
  const [height, width] = array.shape;
  paint(canvas, array.data, { height, width, colours: GREY });
}

/**
 * A blank canvas of the given size: its pixels transparent, which draw.css shows black (as
 * zeros are painted). Setting the size clears a canvas, with no pixels to write: the widget
 * blanks ~200 canvases as it starts.
 */
export function blank(canvas, height, width) {
  canvas.width = width;
  canvas.height = height;
}

/**
 * A signed value as a translucent background over the page: red for positive, blue for
 * negative, more opaque the larger |value| / scale (so it reads in light and dark themes).
 */
export function signedBackground(value, scale) {
  const strength = scale > 0 ? Math.min(1, Math.abs(value) / scale) : 0;
  const rgb = value >= 0 ? "229, 57, 53" : "30, 136, 229";
  return `rgba(${rgb}, ${(0.08 + 0.82 * strength).toFixed(3)})`;
}
