// Packing by scanning. A scanner types a code and Enter, and the next code right after, while the screen is still
// being redrawn for the first one. Each Enter takes the code out of the box and queues it; the codes are sent one
// after another (each answer redraws the screen), and what was typed meanwhile is put back into the redrawn box,
// which keeps the cursor. An Enter on an empty box, or a held Enter's repeats, sends nothing: a unit is counted
// once. A refused scan stops the queue: the codes scanned after it are not sent, the box says so, and the packer
// scans those items again once the refusal is read.
(function () {
  var queue = [], sending = false, typed = null;

  function box() { return document.getElementById("scan-code"); }

  function send() {
    var field = box();
    if (sending || !queue.length || !field || !window.htmx) return;
    sending = true;
    var form = field.form;
    form.noValidate = true;  // the code travels in the request's values; the box itself may be empty meanwhile
    var done = function () { sending = false; send(); };
    htmx.ajax("POST", form.getAttribute("hx-post"), {
      source: form, target: "#shipment-work", swap: "outerHTML", values: {code: queue.shift()},
    }).then(done, done);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches("#scan-code") || !window.htmx) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var code = event.target.value.trim();
    event.target.value = "";
    if (event.repeat || !code) return;
    queue.push(code);
    send();
  }, true);

  var swapping = false;
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (!sending || !event.detail.shouldSwap || event.detail.target.id !== "shipment-work") return;
    var field = box();
    typed = field ? field.value : null;
    swapping = true;
  });

  document.body.addEventListener("htmx:afterSwap", function () {
    if (!swapping) return;
    swapping = false;
    var field = box();
    if (!field) { queue = []; return; }
    if (queue.length && document.getElementById("scan-refused")) {
      queue = [];
      var note = document.getElementById("scan-unsent");
      if (note) note.hidden = false;
    }
    if (typed) field.value = typed;
    typed = null;
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  });

  function failed() { queue = []; }  // the page says the request failed (oms.js); nothing after it is sent
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
