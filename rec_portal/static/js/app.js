// REC Portal front-end: start NHS.UK frontend components, and again for content that
// htmx swaps in. Everything works without this file; it only enhances.
import { initAll } from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

initAll();

document.body.addEventListener("htmx:load", (event) => {
  const element = event.detail && event.detail.elt;
  if (!element || element === document.body) {
    return; // the page itself was started above
  }
  initAll({ scope: element, onError: () => {} });
  // Move focus to a swapped-in error summary so screen reader users hear it.
  const summary = element.querySelector(".nhsuk-error-summary");
  if (summary) {
    summary.focus();
  }
});
