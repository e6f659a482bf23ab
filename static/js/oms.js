// Small behaviours shared by every page; no framework beyond htmx.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
});
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-nav-toggle]");
  if (!toggle) return;
  const nav = document.getElementById(toggle.getAttribute("aria-controls"));
  const open = nav.classList.toggle("open");
  toggle.setAttribute("aria-expanded", String(open));
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
// Server-sent notices (HX-Trigger: {"oms:toast": "..."}) appear briefly at the bottom.
document.body?.addEventListener("oms:toast", (event) => {
  const box = document.getElementById("toasts");
  const item = document.createElement("div");
  item.className = "msg msg-success";
  item.textContent = event.detail.value || event.detail;
  box.appendChild(item);
  setTimeout(() => item.remove(), 5000);
});
