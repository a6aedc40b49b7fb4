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
  // The control that was used may have been replaced: move focus to what changed, so
  // keyboard and screen reader users are not left at the top of the page.
  const target =
    element.querySelector(".nhsuk-error-summary") ||
    element.querySelector(".nhsuk-form-group--error input, .nhsuk-form-group--error select, .nhsuk-form-group--error textarea") ||
    element.querySelector("[data-rec-focus]");
  if (target) {
    target.focus();
  }
});
