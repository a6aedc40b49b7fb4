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

// "Leave this page quickly": blank the page at once, then replace it in the history with
// a neutral site (the Back button does not return here). Escape does the same on pages
// that show the control. Without JavaScript the control is an ordinary link.
function leaveQuickly(url) {
  document.documentElement.classList.add("rec-leaving");
  document.title = "Weather";
  window.location.replace(url);
}

document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("[data-rec-quick-exit]");
  if (link) {
    event.preventDefault();
    leaveQuickly(link.href);
  }
});

document.addEventListener("keydown", (event) => {
  // Not while an input method is composing text (Escape cancels the composition there).
  if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) {
    return;
  }
  const link = document.querySelector("[data-rec-quick-exit]");
  if (link) {
    leaveQuickly(link.href);
  }
});
