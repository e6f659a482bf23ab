/* Receives the token from the payment processor's hosted card field (an iframe) into hidden inputs.
 *
 * Markup (or {% include "payments/partials/card_field.html" %}):
 *   <div data-card-field>
 *     <iframe data-hosted-field src="/sandbox-gateway/hosted-field/"></iframe>
 *     <input type="hidden" name="card_token" data-card="token">   (also brand, last4, exp_month, exp_year)
 *     <p data-card="summary"></p>
 *   </div>
 * Only messages from the iframe's own window and origin are accepted. When a token arrives the
 * container fires a bubbling "oms:card-token" event (detail: token, brand, last4, exp_month,
 * exp_year); "oms:card-cleared" when the agent changes the card. The card number never touches
 * this page.
 */
(function () {
  "use strict";

  function frameFor(source) {
    var frames = document.querySelectorAll("iframe[data-hosted-field]");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === source) { return frames[i]; }
    }
    return null;
  }

  function fill(box, data) {
    ["token", "brand", "last4", "exp_month", "exp_year"].forEach(function (key) {
      var input = box.querySelector('[data-card="' + key + '"]');
      if (input) { input.value = data ? String(data[key]) : ""; }
    });
    var summary = box.querySelector('[data-card="summary"]');
    if (summary) {
      summary.textContent = data
        ? data.brand.toUpperCase() + " •••• " + data.last4 + " " + ("0" + data.exp_month).slice(-2) + "/" + String(data.exp_year).slice(-2)
        : (summary.dataset.empty || "");
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || (data.type !== "oms-card-token" && data.type !== "oms-card-cleared")) { return; }
    var frame = frameFor(event.source);
    if (!frame || event.origin !== new URL(frame.src, window.location.href).origin) { return; }
    var box = frame.closest("[data-card-field]") || frame.closest("form") || document.body;
    if (data.type === "oms-card-token") {
      fill(box, data);
      box.dispatchEvent(new CustomEvent("oms:card-token", { bubbles: true, detail: data }));
    } else {
      fill(box, null);
      box.dispatchEvent(new CustomEvent("oms:card-cleared", { bubbles: true }));
    }
  });

  window.OMSPayments = { fillCard: fill };
})();

/* The payment panel: show only the fields of the chosen method; let htmx swap 422 answers
 * (a declined payment or a form error re-renders the panel with the reason). */
(function () {
  "use strict";

  function showMethodFields(root) {
    (root || document).querySelectorAll("form.pay-add").forEach(function (form) {
      var select = form.querySelector('select[name="method"]');
      if (!select) { return; }
      form.querySelectorAll("[data-method-fields]").forEach(function (box) {
        box.hidden = box.dataset.methodFields.split(" ").indexOf(select.value) === -1;
      });
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches('form.pay-add select[name="method"]')) { showMethodFields(event.target.form.parentNode); }
  });
  document.addEventListener("DOMContentLoaded", function () { showMethodFields(document); });
  document.addEventListener("htmx:afterSwap", function () { showMethodFields(document); });
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422 && event.detail.elt.closest("[data-payments]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

/* After the payment panel is swapped (a capture, refund, void or payment taken, or its refusal), a keyboard user
 * keeps their place instead of starting again from the top of the page: back on the field or button they used
 * (same form address and name), else on the panel's heading. A refusal's message is read out (role="alert"). */
(function () {
  "use strict";

  var place = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var panel = event.detail.target;
    place = null;
    if (!panel || !panel.matches || !panel.matches("[data-payments]")) { return; }
    var active = document.activeElement;
    if (!active || active === document.body || !panel.contains(active)) { return; }
    var form = active.form || active.closest("form");
    place = { action: form ? form.getAttribute("action") : null, name: active.getAttribute("name"), tag: active.tagName };
  });

  // After the settle, not the swap: htmx binds the new forms when it settles (20 ms later), and an Enter pressed in
  // a field focused before that sent the form as a plain page post.
  document.addEventListener("htmx:afterSettle", function () {
    if (!place) { return; }
    var wanted = place;
    place = null;
    var panel = document.querySelector("[data-payments]");
    if (!panel) { return; }
    var target = null;
    panel.querySelectorAll("form").forEach(function (form) {
      if (target || wanted.action === null || form.getAttribute("action") !== wanted.action) { return; }
      var fields = form.querySelectorAll(wanted.name ? '[name="' + wanted.name + '"]' : wanted.tag.toLowerCase());
      for (var i = 0; i < fields.length; i++) {
        if (fields[i].type !== "hidden" && !fields[i].disabled) { target = fields[i]; break; }
      }
    });
    if (!target) {
      target = panel.querySelector("h2");
      if (target) { target.setAttribute("tabindex", "-1"); }
    }
    if (target) { target.focus(); }
  });
})();
