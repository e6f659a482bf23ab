// Marketing screens.

// Promotion form: show only the fields the chosen kind uses (all stay in the form, so nothing is lost).
const PROMOTION_FIELDS = {
  percent: ["order_percent", "item_percent", "buy_x_get_y"],
  amount: ["order_fixed", "item_fixed"],
  buy_quantity: ["buy_x_get_y"],
  get_quantity: ["buy_x_get_y"],
  tiers: ["tiered_spend"],
  skus: ["item_percent", "item_fixed", "buy_x_get_y"],
  categories: ["item_percent", "item_fixed", "buy_x_get_y"],
  brands: ["item_percent", "item_fixed", "buy_x_get_y"],
  shipping_services: ["free_shipping"],
};

function showPromotionFields(kindSelect) {
  const form = kindSelect.form;
  for (const [name, kinds] of Object.entries(PROMOTION_FIELDS)) {
    const input = form.elements[name];
    const box = input && (input.closest ? input.closest(".mkt-field") : input[0]?.closest(".mkt-field"));
    // A field with an error stays visible whatever the kind, so the message can be read and the value fixed.
    if (box) box.hidden = Boolean(kindSelect.value) && !kinds.includes(kindSelect.value) && !box.classList.contains("has-error");
  }
}

document.addEventListener("change", (event) => {
  if (event.target.matches("select#id_kind[data-promotion-kind]")) showPromotionFields(event.target);
});
document.addEventListener("DOMContentLoaded", () => {
  const kind = document.querySelector("select#id_kind[data-promotion-kind]");
  if (kind) showPromotionFields(kind);
});
