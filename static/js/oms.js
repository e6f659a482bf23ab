// Small behaviours shared by every page; no framework beyond htmx.
document.addEventListener("change", (event) => {
  if (!event.target.matches("[data-autosubmit]")) return;
  const form = event.target.form;
  // Filters change the address in place (hx-push-url): come back to the address the page has now.
  if (form.hasAttribute("data-next-here")) form.elements.next.value = location.pathname + location.search;
  form.submit();
});
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-nav-toggle]");
  if (!toggle) return;
  const nav = document.getElementById(toggle.getAttribute("aria-controls"));
  const open = nav.classList.toggle("open");
  toggle.setAttribute("aria-expanded", String(open));
});
// Ask before destructive buttons marked with data-confirm (delete, cancel, revoke...), on every page.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
// A refused form: the cursor goes to the first field in error (Django names its error list "<field id>_error"),
// not to the page's usual first field (autofocus) nor nowhere, so the person corrects it at once.
document.addEventListener("DOMContentLoaded", () => {
  const errors = document.querySelector("main ul.errorlist[id$='_error']");
  const field = errors && document.getElementById(errors.id.slice(0, -"_error".length));
  if (field && !field.disabled && typeof field.focus === "function") field.focus();
});
// Escape closes the global search results; "/" focuses the search box when not typing.
document.addEventListener("keydown", (event) => {
  const typing = /INPUT|TEXTAREA|SELECT/.test(document.activeElement?.tagName || "");
  if (event.key === "Escape") {
    const popup = document.getElementById("global-results");
    if (popup) popup.innerHTML = "";
  } else if (event.key === "/" && !typing) {
    const box = document.getElementById("global-q");
    if (box) { event.preventDefault(); box.focus(); }
  }
});
// Notices at the bottom of the page: the server's (HX-Trigger: {"oms:toast": "..."}) and failed requests'.
function toast(text, kind) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const item = document.createElement("div");
  item.className = `msg msg-${kind}`;
  item.setAttribute("role", kind === "error" ? "alert" : "status");
  item.textContent = text;
  box.appendChild(item);
  setTimeout(() => item.remove(), kind === "error" ? 10000 : 5000);
}
document.body?.addEventListener("oms:toast", (event) => toast(event.detail.value || event.detail, "success"));
// htmx leaves the page as it was when a request fails; say so, with the server's reason when it gave one
// (a refused input answers 400 with the message as plain text).
document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  const plain = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain");
  toast(plain && xhr.responseText ? xhr.responseText : document.body.dataset.requestFailed, "error");
});
document.addEventListener("htmx:sendError", () => toast(document.body.dataset.requestUnsent, "error"));
