"""The one door (``playbook.delivery``): every delivery is checked against the purpose specification, refused with
the reason when the specification does not allow it, and has one exceptions layout."""

from __future__ import annotations

import pandas as pd
import pytest

import synthetic_data
from playbook import changes, delivery, minimisation, purpose, segmentation
from playbook.delivery import EXCEPTION_COLUMNS, DeliveryRefused, FieldRefused

SPEC = purpose.load_builtin("shielding")
CODES = ["E06000001", "E08000025"]


def council_list(**extra) -> pd.DataFrame:
    """A list in the sender's own column names (la_code, given_name), as NHS Digital sent it."""
    return pd.DataFrame({
        "nhs_number": ["9990000018", "9990000026", "9990000034", "9990000042"],
        "given_name": ["Ann", "Bob", "Cal", "Dee"],
        "sex": ["F", "M", "M", "F"],
        "clinical_group": ["Transplant", "Cancer", "Respiratory", "Transplant"],
        "postcode": ["M1 1AE", "B33 8TH", "M1 1AE", "NOT A CODE"],
        "la_code": ["E06000001", "E08000025", "E06000001", "E08000025"],
        "date_of_death": [None, "2020-04-01", None, None],
        **extra,
    })


# --- refusals, each with its reason ----------------------------------------------------------------------------


def test_an_unknown_recipient_is_refused_with_the_recipients_the_specification_names():
    with pytest.raises(DeliveryRefused, match=r"'police' is not a recipient named in the specification.* names: "):
        segmentation.segment(council_list(), CODES, recipient="police")


def test_a_recipient_without_partition_by_is_not_split():
    with pytest.raises(DeliveryRefused, match="'supermarkets' is not split by organisation.*no partition_by"):
        segmentation.segment(council_list(), CODES, recipient="supermarkets")


def test_a_field_the_recipient_does_not_receive_is_refused_with_the_reason():
    with pytest.raises(FieldRefused, match="clinical_group: Excluded for every recipient") as refused:
        segmentation.segment(council_list(), CODES, fields=["nhs_number", "local_authority_code", "clinical_group"])
    assert [d.item for d in refused.value.decisions] == ["clinical_group"]


def test_partition_by_a_field_the_recipient_does_not_receive_is_refused_when_the_specification_is_read():
    raw = purpose.builtin_mapping("shielding")
    councils = next(r for r in raw["recipients"] if r["id"] == "local_authorities")
    councils["partition_by"] = "postcode"
    del councils["fields"]["postcode"]
    with pytest.raises(purpose.SpecError, match="shielding.yaml.*\n.*recipient 'local_authorities': partition_by "
                                                "'postcode' is not a field this recipient receives"):
        purpose.parse_spec(raw, source="shielding.yaml")


def test_a_change_feed_with_a_column_the_recipient_does_not_receive_is_refused():
    old = council_list().drop(columns=["date_of_death"])
    with pytest.raises(FieldRefused, match="sex: Excluded for every recipient"):
        changes.diff(old, old, recipient="local_authorities")
    with pytest.raises(DeliveryRefused, match="'police' is not a recipient"):
        changes.diff(old, old, recipient="police")


def test_a_list_without_the_partition_column_says_which_field_is_missing():
    with pytest.raises(KeyError, match="no column la_code \\(the source of local_authority_code, the field "
                                       "local_authorities is split by\\), nor one named local_authority_code"):
        segmentation.segment(council_list().drop(columns=["la_code"]), CODES)


# --- fields, row scope and partition from the specification ---------------------------------------------------


def test_the_split_reads_the_partition_through_the_fields_source_and_sends_only_received_fields():
    result = segmentation.segment(council_list(), CODES)
    assert result.la_column == "la_code"  # local_authority_code, found through its source spl.la_code
    for extract in result.extracts.values():
        assert list(extract.columns) == ["nhs_number", "given_name", "postcode", "la_code"]  # no sex, no clinical
    assert result.rows_out_of_scope == 1 and list(result.outside) == [1]  # Bob has died: outside the scope
    assert result.exceptions.to_dict("records") == [
        {"row": 3, "column": "postcode", "value": "NOT A CODE", "reason": segmentation.REASONS["malformed_postcode"]}]
    segmentation.check_segmentation(council_list(), result)


def test_fewer_fields_can_be_asked_for_and_the_partition_field_always_goes():
    result = segmentation.segment(council_list(), CODES, fields=["nhs_number"])
    assert all(list(extract.columns) == ["nhs_number", "la_code"] for extract in result.extracts.values())


def test_the_split_reads_a_list_already_named_as_the_specification():
    named = council_list().rename(columns={"la_code": "local_authority_code"})
    result = segmentation.segment(named, CODES)
    assert result.la_column == "local_authority_code" and list(result.extracts) == ["E06000001"]


def test_a_date_of_death_the_scope_cannot_test_is_an_exception_not_a_guess():
    result = segmentation.segment(council_list(date_of_death=[None, "unknown", None, None]), CODES,
                                  postcode_column=None)
    (row,) = result.exceptions.to_dict("records")
    assert row["row"] == 1 and row["column"] == "date_of_death" and "neither blank nor a date" in row["reason"]


# --- one result type, one exceptions layout --------------------------------------------------------------------


def test_every_delivery_is_a_delivery_with_the_one_exceptions_layout():
    spl = synthetic_data.load("spl")
    service = minimisation.service_records(spl, synthetic_data.load("registrations"))
    made = [
        minimisation.make_extract(SPEC, "supermarkets", service),
        minimisation.make_extract(SPEC, "local_authorities", service.drop(columns="uprn", errors="ignore"),
                                  fields=["nhs_number", "local_authority_code"], partition="E08000025"),
        segmentation.segment(spl, synthetic_data.load("local_authorities")["la_code"], key="nhs_number"),
        changes.diff(spl.head(50), spl.head(60)),
    ]
    for result in made:
        assert isinstance(result, delivery.Delivery)
        columns = list(result.exceptions.columns)
        assert columns in (EXCEPTION_COLUMNS, ["id", *EXCEPTION_COLUMNS]), type(result).__name__


def test_any_delivery_writes_its_tables_exceptions_and_manifest(tmp_path):
    service = minimisation.service_records(synthetic_data.load("spl"), synthetic_data.load("registrations"))
    extract = minimisation.make_extract(SPEC, "supermarkets", service)
    manifest = extract.write(tmp_path / "out")
    assert manifest["file"].tolist() == ["supermarkets.csv", "exceptions.csv"]
    assert manifest["records"].tolist() == [len(extract.data), len(extract.exceptions)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["exceptions.csv", "manifest.csv",
                                                                   "supermarkets.csv"]
