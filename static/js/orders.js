// Phone-order screen: stock-hold countdown, Enter in the search boxes picks the first result,
// arrow keys move through results, and focus returns to the SKU box after a line is added.
(function () {
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = parseInt(el.dataset.countdown, 10);
      if (isNaN(left)) return;
      left = Math.max(left - 1, 0);
      el.dataset.countdown = String(left);
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = m + ":" + String(s).padStart(2, "0");
      el.classList.toggle("expiring", left < 60);
    });
  }
  setInterval(tick, 1000);

  // Enter typed before the results arrive (a scanner, a fast agent) searches at once and picks the first result
  // when it comes, instead of doing nothing.
  var pickWhenShown = null;
  function pick(results) {
    var first = results.querySelector("[data-pick]:not([disabled])");
    if (!first) return;
    // htmx wires swapped-in results only when they settle: unwired, the pick would post the whole page.
    if (window.htmx) htmx.process(results);
    first.click();
  }
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("#customer-q, #sku-q")) return;
    var results = document.getElementById(box.id === "sku-q" ? "sku-results" : "customer-results");
    var first = results && results.querySelector("[data-pick]:not([disabled])");
    if (event.key === "Enter") {
      event.preventDefault();
      var shownFor = results && results.dataset.shownFor;
      if (first && shownFor === box.value) { pick(results); }
      else if (box.value.trim() && window.htmx) { pickWhenShown = results.id; htmx.trigger(box, "search"); }
    } else if (event.key === "ArrowDown" && first) {
      event.preventDefault();
      first.focus();
    }
  });
  document.addEventListener("keydown", function (event) {
    var pick = event.target.closest && event.target.closest(".pick-list li");
    if (!pick || !(event.key === "ArrowDown" || event.key === "ArrowUp")) return;
    var sibling = event.key === "ArrowDown" ? pick.nextElementSibling : pick.previousElementSibling;
    if (sibling) { event.preventDefault(); sibling.querySelector("[data-pick]").focus(); }
  });
  // Alt+P places the order from anywhere on the screen (the button's accesskey is not reliable everywhere). The P key
  // by its place too: on an Arabic keyboard it types "ح".
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || (event.key.toLowerCase() !== "p" && event.code !== "KeyP")) return;
    var button = document.getElementById("place-button");
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  });
  // Once the processor's card field (an iframe) gives its token, placing is the agent's next step: bring the focus
  // back to this page, where Alt+P and the other shortcuts work (keys typed inside the iframe never reach it).
  document.addEventListener("oms:card-token", function () {
    var button = document.getElementById("place-button");
    if (button) { button.focus(); }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var results = event.detail.target;
    if (results.id !== "sku-results" && results.id !== "customer-results") return;
    var box = document.getElementById(results.id === "sku-results" ? "sku-q" : "customer-q");
    results.dataset.shownFor = box ? box.value : "";
    if (pickWhenShown !== results.id) return;
    pickWhenShown = null;
    pick(results);
  });
  // "Place order" while a line's change is unsaved or on its way (a quantity typed and Alt+P at once, or the click on
  // the button that takes the cursor out of the field) would place what was saved before it: the change is saved
  // first, and the redrawn screen, with its new total, waits on "Place order" for the agent to place again.
  var placeAfterSwap = false;
  function unsavedLineField() {
    var fields = document.querySelectorAll("#screen .line-form input:not([type=hidden]), #screen .line-form select");
    return Array.prototype.find.call(fields, function (field) {
      if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
      if (field.tagName === "SELECT") return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
      return field.value !== field.defaultValue;
    }) || null;
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "place-form") return;
    var field = unsavedLineField(), busy = document.querySelector("#screen .line-form.htmx-request");
    if (!field && !busy) return;
    event.preventDefault();
    placeAfterSwap = true;
    if (field && !field.form.classList.contains("htmx-request")) field.dispatchEvent(new Event("change", {bubbles: true}));
  });
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (!placeAfterSwap || event.detail.target.id !== "screen") return;
    placeAfterSwap = false;
    var button = document.getElementById("place-button");
    if (button && !document.getElementById("screen-error")) button.focus();
  });
  // The screen is redrawn whole after each step, and the agent (or a scanner) keeps typing meanwhile. What was typed
  // into a field while the step was on its way is put back into the redrawn field, and an Enter typed in a search box
  // meanwhile searches and picks once the screen is back, so a second scan right after the first is not lost.
  var sentValues = null, screenPending = false, enterAfterSwap = null;
  function typedFields(root) {
    return root.querySelectorAll("input[id]:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea[id]");
  }
  var pickedFrom = null;
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.target.id !== "screen") return;
    screenPending = true;
    // A picked result takes the search box's text with it, so the next code typed starts in an empty box.
    var results = event.detail.elt.closest && event.detail.elt.closest("#sku-results, #customer-results");
    var box = results && document.getElementById(results.id === "sku-results" ? "sku-q" : "customer-q");
    pickedFrom = box ? {box: box, value: box.value} : null;
    if (box) box.value = "";
    sentValues = {};
    typedFields(event.detail.target).forEach(function (field) { sentValues[field.id] = field.value; });
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.target || event.detail.target.id !== "screen") return;
    screenPending = false;
    // Refused (the screen stays as it was): the picked text comes back unless something was typed since.
    if (!event.detail.successful && pickedFrom && !pickedFrom.box.value) pickedFrom.box.value = pickedFrom.value;
    pickedFrom = null;
  });
  document.addEventListener("keydown", function (event) {
    if (!screenPending || event.key !== "Enter" || !event.target.matches("#customer-q, #sku-q")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    enterAfterSwap = event.target.id;
  }, true);
  // After any swap of the screen, put the cursor where the agent continues: the SKU box after a customer or a new
  // line, the message after a refusal, else back on the field or button that was used (same id), and the SKU box
  // when that is gone (a removed line's button) rather than the top of the page. A field typed into meanwhile keeps
  // the cursor.
  var focusedId = null, typedMeanwhile = {};
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target.id !== "screen") return;
    var active = document.activeElement;
    focusedId = active && active.id && event.detail.target.contains(active) ? active.id : null;
    typedMeanwhile = {};
    typedFields(event.detail.target).forEach(function (field) {
      if (sentValues && field.id in sentValues && sentValues[field.id] !== field.value) typedMeanwhile[field.id] = field.value;
    });
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "screen") return;
    var path = (event.detail.requestConfig && event.detail.requestConfig.path) || "";
    var target = null;
    Object.keys(typedMeanwhile).forEach(function (id) {
      var field = document.getElementById(id);
      if (!field || field.disabled || field.readOnly) return;
      field.value = typedMeanwhile[id];
      htmx.process(field);
      if (id === focusedId) target = field;
      if (id === "sku-q" || id === "customer-q") {
        if (enterAfterSwap !== id) field.dispatchEvent(new Event("input", {bubbles: true}));
      } else {
        // Saved as if typed now: the change is sent when the agent leaves the field.
        field.addEventListener("blur", function () {
          if (field.value !== field.defaultValue) field.dispatchEvent(new Event("change", {bubbles: true}));
        }, {once: true});
      }
    });
    typedMeanwhile = {};
    if (enterAfterSwap) {
      var box = document.getElementById(enterAfterSwap);
      enterAfterSwap = null;
      if (box && box.value.trim() && window.htmx) {
        pickWhenShown = box.id === "sku-q" ? "sku-results" : "customer-results";
        htmx.trigger(box, "search");
        target = target || box;
      }
    }
    // A customer refused (a message, or a field of the new customer marked invalid): the cursor goes to what to fix,
    // not on to the SKU box as after a customer taken.
    var refused = document.getElementById("screen-error");
    var invalid = event.detail.target.querySelector("#new-customer [aria-invalid=true]");
    var customerTaken = /\/customer\//.test(path) && !refused && !invalid;
    if (!target && (customerTaken || /\/lines\/$/.test(path))) target = document.getElementById("sku-q");
    target = target || invalid || refused;
    if (!target && (document.activeElement === document.body || !document.activeElement)) {
      target = (focusedId && document.getElementById(focusedId)) || document.getElementById("sku-q");
    }
    if (target) {
      target.focus();
      if (target.value && target.setSelectionRange && /^(search|text)$/.test(target.type)) {
        target.setSelectionRange(target.value.length, target.value.length);
      }
    }
  });
})();
