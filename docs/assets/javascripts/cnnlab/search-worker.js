/*
 * The site search's worker: in front of the theme's own (mkdocs-material's search worker, whose
 * URL follows "#" in this script's URL; the build names this script in the theme's config
 * instead, hooks/search_worker.py).
 *
 * The theme's worker builds the index of the whole site as soon as a page opens: half a second
 * of CPU on a two-core machine, just when the page starts its Python. This one answers the
 * theme's setup message at once ("ready") and hands it on only when the visitor first
 * searches, or once the page has had time to start (BUILD_AFTER_MS), whichever comes first.
 * Queries that arrive while the index is being built wait for it. (The empty query the search
 * box sends as the page opens is answered here, as the theme's worker would: no results.)
 */
"use strict";

const SETUP = 0; // the theme's message types (SearchMessageType)
const READY = 1;
const QUERY = 2;
const RESULT = 3;
const BUILD_AFTER_MS = 5000;

const toPage = self.postMessage.bind(self);
const listen = self.addEventListener.bind(self);

// The theme's worker listens to messages and answers with postMessage: it gets this worker's
// messages through handOn, and its answers go through self.postMessage below.
let handOn = null;
self.addEventListener = (type, listener) => {
  if (type === "message") handOn = (data) => listener({ data });
};
self.importScripts(new URL(decodeURIComponent(self.location.hash.slice(1)), self.location.href).href);
delete self.addEventListener;

let setup = null; // the theme's setup message
let built = null; // Promise: the theme's worker has its index
let indexReady = null;
self.postMessage = (message) => {
  if (message && message.type === READY) indexReady(); // the page was told so already
  else toPage(message);
};

function build() {
  if (!built) {
    built = new Promise((resolve) => {
      indexReady = resolve;
    });
    handOn(setup);
  }
  return built;
}

listen("message", ({ data }) => {
  if (data && data.type === SETUP) {
    setup = data;
    toPage({ type: READY });
    setTimeout(build, BUILD_AFTER_MS);
  } else if (data && data.type === QUERY && data.data === "") {
    toPage({ type: RESULT, data: { items: [] } });
  } else {
    build().then(() => handOn(data));
  }
});
