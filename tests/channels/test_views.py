from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.channels.imports import import_job_run
from orders.channels.models import ApiKey, ImportJob, ImportRow, SkuMapping, WebhookEndpoint
from orders.channels.services import api_key_authenticate

SAMPLES = Path(__file__).parent / "samples"


def test_manager_without_manage_channels_is_refused(role_client, shop):
    assert role_client("manager").get(reverse("orders:channel_list")).status_code == 403


def test_channel_pages(role_client, shop):
    client = role_client("admin")
    assert b"Web shop" in client.get(reverse("orders:channel_list")).content
    page = client.get(reverse("orders:channel_detail", args=[shop["channel"].pk]))
    assert page.status_code == 200
    assert shop["key"].prefix.encode() in page.content


def test_create_key_shows_the_secret_once_and_revoke(role_client, shop):
    client = role_client("admin")
    response = client.post(reverse("orders:channel_key_create", args=[shop["channel"].pk]), {"name": "Woo"})
    assert response.status_code == 200
    key = ApiKey.objects.get(name="Woo")
    raw = response.content.decode().split('class="secret" readonly value="')[1].split('"')[0]
    assert api_key_authenticate(raw) == key
    assert raw.split(".")[1] not in key.secret_hash
    again = client.get(reverse("orders:channel_detail", args=[shop["channel"].pk]))
    assert raw.encode() not in again.content
    client.post(reverse("orders:channel_key_revoke", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_mappings_and_webhooks(role_client, shop):
    client = role_client("admin")
    pk = shop["channel"].pk
    bad = client.post(reverse("orders:channel_mapping_add", args=[pk, "sku"]), {"channel_sku": "X", "sku": "NOPE"})
    assert bad.status_code == 422
    assert SkuMapping.objects.count() == 0
    client.post(reverse("orders:channel_mapping_add", args=[pk, "sku"]), {"channel_sku": "AMZ-1", "sku": "MUG-WHT"})
    mapping = SkuMapping.objects.get()
    assert mapping.variant == shop["variants"][1]
    client.post(reverse("orders:channel_mapping_delete", args=[pk, "sku", mapping.pk]))
    assert SkuMapping.objects.count() == 0
    client.post(reverse("orders:channel_webhook_create", args=[pk]),
                {"url": "https://shop.example.com/hooks", "events": ["order_status"]})
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.events, len(endpoint.secret)) == (["order_status"], 64)
    assert client.get(reverse("orders:channel_deliveries", args=[pk])).status_code == 200


def test_upload_progress_error_report_and_fix(role_client, shop):
    client = role_client("admin")
    upload = SimpleUploadedFile("generic.csv", (SAMPLES / "generic_orders.csv").read_bytes(), "text/csv")
    response = client.post(reverse("orders:channel_import_upload", args=[shop["channel"].pk]),
                           {"format": "generic_csv", "file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:channel_import", args=[job.pk])
    waiting = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in waiting.content
    import_job_run(job_id=job.pk)
    done = client.get(response["Location"])
    assert b'hx-trigger="every 1s"' not in done.content
    report = client.get(reverse("orders:channel_import_errors", args=[job.pk]))
    assert report.content.decode().splitlines()[1].startswith("4,G-5002,rejected,total: The total 59.90")
    ImportRow.objects.filter(status="rejected").update(external_id='=HYPERLINK("http://evil.example","x")')
    report = client.get(reverse("orders:channel_import_errors", args=[job.pk])).content.decode()
    assert "'=HYPERLINK" in report  # a spreadsheet shows it as text, never as a formula
    row = ImportRow.objects.get(status="rejected")
    form = client.get(reverse("orders:channel_import_row", args=[row.pk]))
    assert b"G-5002" in form.content
    import json

    data = json.loads(form.context["form"].initial["data"])
    data["total"] = "49.90"
    fixed = client.post(reverse("orders:channel_import_row", args=[row.pk]), {"data": json.dumps(data)})
    assert fixed.status_code == 302
    row.refresh_from_db()
    assert row.status == "created"


def test_upload_of_an_unreadable_file_is_refused(role_client, shop):
    client = role_client("admin")
    upload = SimpleUploadedFile("x.tsv", b"nothing,here\n", "text/plain")
    response = client.post(reverse("orders:channel_import_upload", args=[shop["channel"].pk]),
                           {"format": "amazon_tsv", "file": upload})
    assert response.status_code == 422
    assert "Missing columns" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_list_query_counts_do_not_grow(role_client, shop, django_assert_max_num_queries):
    from orders.channels.models import WebhookDelivery
    from orders.channels.services import webhook_endpoint_create

    client = role_client("admin")
    endpoint = webhook_endpoint_create(channel_id=shop["channel"].pk, url="https://x.example.com", events=["x"],
                                       acting_user=None)
    WebhookDelivery.objects.bulk_create([WebhookDelivery(endpoint=endpoint, event="order.cancelled",
                                                         source_key=f"k{i}") for i in range(60)])
    url = reverse("orders:channel_deliveries", args=[shop["channel"].pk])
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get(reverse("orders:channel_detail", args=[shop["channel"].pk])).status_code == 200


def test_channel_pages_are_translated(role_client, shop):
    client = role_client("admin")
    client.cookies["django_language"] = "pt-br"
    assert "Canais de venda" in client.get(reverse("orders:channel_list")).content.decode()
    client.cookies["django_language"] = "ar"
    assert "مفاتيح API" in client.get(reverse("orders:channel_detail", args=[shop["channel"].pk])).content.decode()


def test_admin_creates_a_channel_and_edits_it_but_not_its_code(role_client, shop):
    from oms.models import AuditEntry
    from orders.models import Channel
    from tests.marketing.factories import PriceListFactory

    PriceListFactory(code="amazon", name="Amazon prices")
    client = role_client("admin")
    assert b"New channel" in client.get(reverse("orders:channel_list")).content
    created = client.post(reverse("orders:channel_create"), {
        "name": "Amazon BR", "code": "amazon-br", "kind": "marketplace", "order_prefix": "AZ", "currency": "BRL",
        "language": "pt-br", "price_list_code": "amazon", "sourcing_strategy": "lowest_cost", "is_active": "on"})
    channel = Channel.objects.get(code="amazon-br")
    assert created.status_code == 302 and created["Location"] == reverse("orders:channel_detail", args=[channel.pk])
    assert (channel.kind, channel.order_prefix, channel.language, channel.price_list_code,
            channel.sourcing_strategy, channel.allow_oversell) == (
        "marketplace", "AZ", "pt-br", "amazon", "lowest_cost", False)
    assert AuditEntry.objects.filter(verb="channel_create", object_id=str(channel.pk)).exists()

    edit_url = reverse("orders:channel_edit", args=[channel.pk])
    assert b'name="code"' in client.get(edit_url).content
    edited = client.post(edit_url, {
        "name": "Amazon Brasil", "code": "hijacked", "kind": "marketplace", "order_prefix": "AMZ", "currency": "BRL",
        "language": "", "price_list_code": "", "sourcing_strategy": "nearest", "allow_oversell": "on"})
    assert edited.status_code == 302
    channel.refresh_from_db()
    assert (channel.code, channel.name, channel.order_prefix, channel.language, channel.price_list_code,
            channel.sourcing_strategy, channel.allow_oversell, channel.is_active) == (
        "amazon-br", "Amazon Brasil", "AMZ", "", "", "nearest", True, False)
    entry = AuditEntry.objects.get(verb="channel_update", object_id=str(channel.pk))
    assert entry.changes["order_prefix"] == ["AZ", "AMZ"] and "code" not in entry.changes


def test_channel_form_names_what_is_wrong_and_saves_nothing(role_client, shop):
    from orders.models import Channel

    client = role_client("admin")
    taken = client.post(reverse("orders:channel_create"), {
        "name": "Copy", "code": "webshop", "kind": "web", "order_prefix": "WS", "currency": "BRL",
        "sourcing_strategy": "first_available", "price_list_code": "no-such-list", "language": "fr"})
    assert taken.status_code == 422
    errors = taken.context["form"].errors
    assert set(errors) == {"code", "order_prefix", "price_list_code", "language"}
    assert Channel.objects.filter(name="Copy").count() == 0
    assert role_client("manager").get(reverse("orders:channel_create")).status_code == 403


def test_saving_a_channels_integration_settings_audits_what_changed_as_values(role_client, shop):
    from oms.models import AuditEntry
    from orders.channels.services import integration_for

    integration = integration_for(shop["channel"])
    client = role_client("admin")
    response = client.post(reverse("orders:channel_settings", args=[shop["channel"].pk]), {
        "import_format": integration.import_format, "stock_buffer": integration.stock_buffer + 3,
        "rate_limit_per_minute": integration.rate_limit_per_minute, "require_signature": "on",
        "watch_folder": "", "pull_url": "", "pull_every_minutes": integration.pull_every_minutes})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(verb="channel_integration_update")
    assert entry.changes == {"stock_buffer": [integration.stock_buffer, integration.stock_buffer + 3],
                             **({} if integration.require_signature else {"require_signature": [False, True]})}


def test_sku_mappings_are_paged_and_searchable_with_flat_query_counts(role_client, shop,
                                                                      django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = role_client("admin")
    channel, mug = shop["channel"], shop["variants"][1]
    url = reverse("orders:channel_detail", args=[channel.pk])
    SkuMapping.objects.bulk_create([SkuMapping(channel=channel, channel_sku=f"AMZ-{i:03}", variant=mug)
                                    for i in range(3)])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    SkuMapping.objects.bulk_create([SkuMapping(channel=channel, channel_sku=f"AMZ-{i:03}", variant=mug)
                                    for i in range(3, 120)])
    with django_assert_max_num_queries(len(few)):
        page = client.get(url).content.decode()
    assert ("<code>AMZ-049</code>" in page, "<code>AMZ-050</code>" in page) == (True, False)
    assert "Page 1 of 3" in page
    last = client.get(url, {"page": 3}).content.decode()
    assert ("<code>AMZ-099</code>" in last, "<code>AMZ-100</code>" in last, "<code>AMZ-119</code>" in last) == (
        False, True, True)
    found = client.get(url, {"q": "amz-07"}, HTTP_HX_REQUEST="true").content.decode()
    assert found.count("<code>AMZ-07") == 10
    assert "API keys" not in found  # only the mappings table is swapped in
    by_ours = client.get(url, {"q": "mug-wht"}).content.decode()
    assert "Page 1 of 3" in by_ours
    none = client.get(url, {"q": "nothing-like-it"}).content.decode()
    assert "No mapping matches this search." in none


def test_revoking_switching_off_removing_and_discarding_ask_first_naming_the_thing(role_client, shop):
    from orders.channels import services

    client = role_client("admin")
    channel, key = shop["channel"], shop["key"]
    services.sku_mapping_add(channel_id=channel.pk, channel_sku="AMZ-1", variant_id=shop["variants"][1].pk,
                             acting_user=None)
    services.shipping_mapping_add(channel_id=channel.pk, channel_method="Expressa", service_code="SEDEX",
                                  acting_user=None)
    services.status_mapping_add(channel_id=channel.pk, channel_status="on-hold", action="skip", acting_user=None)
    services.webhook_endpoint_create(channel_id=channel.pk, url="https://shop.example.com/hooks",
                                     events=["order_status"], acting_user=None)
    page = client.get(reverse("orders:channel_detail", args=[channel.pk])).content.decode()
    assert (f'data-confirm="Revoke the API key shop (oms_{key.prefix}.…)? Whatever uses it is refused from then on.">'
            'Revoke</button>') in page
    assert 'data-confirm="Remove the mapping of channel SKU AMZ-1 to our SKU MUG-WHT?">Remove</button>' in page
    assert 'data-confirm="Remove the mapping of shipping method Expressa to our service SEDEX?">Remove' in page
    assert 'data-confirm="Remove the mapping of channel status on-hold?">Remove</button>' in page
    assert ('data-confirm="Switch off the webhook to https://shop.example.com/hooks? It gets no more events.">'
            'Switch off</button>') in page
    client.cookies["django_language"] = "pt-br"
    page = client.get(reverse("orders:channel_detail", args=[channel.pk])).content.decode()
    assert 'data-confirm="Remover o mapeamento do SKU do canal AMZ-1 para o nosso SKU MUG-WHT?"' in page
    client.cookies["django_language"] = "en"

    upload = SimpleUploadedFile("generic.csv", (SAMPLES / "generic_orders.csv").read_bytes(), "text/csv")
    client.post(reverse("orders:channel_import_upload", args=[channel.pk]), {"format": "generic_csv", "file": upload})
    job = ImportJob.objects.get()
    import_job_run(job_id=job.pk)
    row = ImportRow.objects.get(status="rejected")
    page = client.get(reverse("orders:channel_import", args=[job.pk])).content.decode()
    assert (f'data-confirm="Discard row {row.row_number} (order G-5002)? It is not imported.">Discard</button>'
            in page)
    ImportRow.objects.filter(pk=row.pk).update(external_id="")
    page = client.get(reverse("orders:channel_import", args=[job.pk])).content.decode()
    assert f'data-confirm="Discard row {row.row_number}? It is not imported.">Discard</button>' in page


def test_a_sku_mapping_takes_our_sku_in_any_case(role_client, shop):
    """Everywhere else "mug-wht" is the SKU MUG-WHT; the mapping form said "No SKU “mug-wht”."."""
    client = role_client("admin")
    response = client.post(reverse("orders:channel_mapping_add", args=[shop["channel"].pk, "sku"]),
                           {"channel_sku": "AMZ-9", "sku": " mug-wht "})
    assert response.status_code == 302
    assert SkuMapping.objects.get(channel_sku="AMZ-9").variant == shop["variants"][1]


def test_the_order_page_shows_when_the_order_was_placed_at_the_channel(role_client, api, shop):
    from orders.models import Order
    from tests.channels.conftest import order_payload

    api.post("/orders", order_payload(placed_at="2026-11-20T10:14:40-03:00"))
    api.post("/orders", order_payload("1002"))
    client = role_client("admin")
    dated = Order.objects.get(external_ref="1001")
    page = client.get(reverse("orders:order_detail", args=[dated.pk])).content.decode()
    assert "Placed at channel" in page
    assert "11/20/2026 10:14 a.m." in page  # in the OMS's time zone, as the OMS's own placing time is
    undated = Order.objects.get(external_ref="1002")
    assert "Placed at channel" not in client.get(reverse("orders:order_detail", args=[undated.pk])).content.decode()


def test_a_refused_form_of_the_channel_page_names_its_fields_by_their_labels(role_client, shop):
    """The upload and mapping forms printed Django's error list, which names a field by its code: "file" (in
    every language) above "The submitted file is empty."."""
    client = role_client("admin")
    upload = SimpleUploadedFile("orders.csv", b"", "text/csv")
    response = client.post(reverse("orders:channel_import_upload", args=[shop["channel"].pk]),
                           {"format": "generic_csv", "file": upload})
    assert response.status_code == 422
    errors = response.content.decode().split('id="imports"')[1].split("</form>")[0]
    assert '<ul class="errorlist" id="id_file_error"><li>File: The submitted file is empty.</li></ul>' in errors
    assert "<li>file" not in errors
    response = client.post(reverse("orders:channel_mapping_add", args=[shop["channel"].pk, "sku"]),
                           {"channel_sku": "AMZ-1", "sku": "NOPE"})
    assert response.status_code == 422
    assert "<li>Our SKU: No SKU “NOPE”.</li>" in response.content.decode()
    assert "<li>sku" not in response.content.decode()


def test_an_order_number_prefix_is_letters_and_digits_in_capitals(role_client, shop, api):
    """A prefix "Q/1" made order numbers ("Q/1-000001") the API's /orders/<number> could not address, and "ws" was
    taken beside the web shop's "WS" (numbers differing only in case, which searches do not tell apart)."""
    from orders.models import Channel

    client = role_client("admin")
    form = {"name": "Marketplace", "code": "mkt", "kind": "marketplace", "currency": "BRL",
            "sourcing_strategy": "first_available"}
    for prefix, says in (("Q/1", "“Q/1” should be up to 6 letters and digits"), ("1A", "beginning with a letter"),
                         ("AB-CD", "should be up to 6 letters"),
                         ("ws", "Another channel already has this order number prefix.")):
        refused = client.post(reverse("orders:channel_create"), {**form, "order_prefix": prefix})
        assert refused.status_code == 422
        assert says in refused.context["form"].errors["order_prefix"][0], prefix
    assert not Channel.objects.filter(code="mkt").exists()
    created = client.post(reverse("orders:channel_create"), {**form, "order_prefix": "mkt2"})
    assert created.status_code == 302
    assert Channel.objects.get(code="mkt").order_prefix == "MKT2"
    edited = client.post(reverse("orders:channel_edit", args=[shop["channel"].pk]),
                         {**form, "name": "Web shop", "kind": "web", "order_prefix": "W S"})
    assert edited.status_code == 422
    assert "“W S” should be up to 6 letters" in edited.context["form"].errors["order_prefix"][0]
    shop["channel"].refresh_from_db()
    assert shop["channel"].order_prefix == "WS"


def test_refused_settings_put_the_cursor_in_the_field_in_error(role_client, shop):
    """The settings show their errors beside each field, not in the error list the page script looks for: refused,
    the cursor was nowhere and a keyboard user had to find the field in a long page."""
    client = role_client("admin")
    response = client.post(reverse("orders:channel_settings", args=[shop["channel"].pk]), {
        "import_format": "generic_csv", "stock_buffer": "0", "rate_limit_per_minute": "99999999999",
        "pull_every_minutes": "60", "watch_folder": "", "pull_url": ""})
    assert response.status_code == 422
    html = response.content.decode()
    box = html[html.index('name="rate_limit_per_minute"') - 200:html.index('id="id_rate_limit_per_minute"')]
    assert "autofocus" in box
    assert html.count("autofocus") == 1


def test_a_watch_folder_the_server_does_not_have_is_refused_naming_it(role_client, shop, tmp_path):
    """A misspelt folder, or a path without its start, was saved and then silently never scanned."""
    from orders.channels.services import integration_for

    client = role_client("admin")
    url = reverse("orders:channel_settings", args=[shop["channel"].pk])
    form = {"import_format": "generic_csv", "stock_buffer": "0", "rate_limit_per_minute": "120",
            "pull_every_minutes": "60", "pull_url": ""}
    for folder, says in ((str(tmp_path / "amazn"), f"There is no folder {tmp_path / 'amazn'} on the server."),
                         ("drop", "The watch folder “drop” should be a whole path, from / (such as "
                                  "/srv/imports/amazon).")):
        response = client.post(url, {**form, "watch_folder": folder})
        assert response.status_code == 422
        assert response.context["settings_form"].errors["watch_folder"] == [says]
    assert integration_for(shop["channel"]).watch_folder == ""
    (tmp_path / "amazon").mkdir()
    assert client.post(url, {**form, "watch_folder": f"{tmp_path}/amazon/"}).status_code == 302
    assert integration_for(shop["channel"]).watch_folder == str(tmp_path / "amazon")


def test_the_correction_form_of_a_row_with_an_unreadable_number_starts_from_the_whole_order(role_client, shop):
    """A row refused for a number ("1e3", a quantity of 99999999999) opened its correction form on "{}": the person
    had to type the whole order again instead of fixing one value."""
    import json

    header, first, second, third = (SAMPLES / "generic_orders.csv").read_text().splitlines()
    third = third.replace(",MUG-WHT,1,49.90,", ",MUG-WHT,99999999999,1e3,")
    job = imports_run(shop, "\n".join([header, first, second, third]).encode())
    row = job.rows.get(external_id="G-5002")
    assert row.status == "rejected"
    client = role_client("admin")
    data = json.loads(client.get(reverse("orders:channel_import_row", args=[row.pk])).context["form"]["data"].initial)
    assert data["customer"]["name"] == "Otávio Prado"
    assert data["lines"] == [{"sku": "MUG-WHT", "quantity": "99999999999", "unit_price": "1e3"}]
    data["lines"] = [{"sku": "MUG-WHT", "quantity": 1, "unit_price": "49.90"}]
    data["total"] = "49.90"
    response = client.post(reverse("orders:channel_import_row", args=[row.pk]), {"data": json.dumps(data)})
    assert response.status_code == 302, response.context["form"].errors
    row.refresh_from_db()
    assert row.status == "created"


def imports_run(shop, content: bytes):
    from orders.channels.imports import import_job_create

    job = import_job_create(channel_id=shop["channel"].pk, fmt="generic_csv", content=content, file_name="f.csv",
                            acting_user=None)
    return import_job_run(job_id=job.pk)
