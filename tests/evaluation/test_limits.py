"""Limits on one prediction file: each is enforced early, cheaply, with a message naming file, finding, limit and knob."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import time
import tracemalloc

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import evaluation
from evaluation._data import LoadOptions
from evaluation._errors import EvaluationError
from evaluation._io import read_table
from evaluation._limits import DASHBOARD_LIMITS, GIB, MIB, Limits, format_size, parse_size
from evaluation._loading import inspect_file, load_classification, load_prediction_file

SMALL = Limits(max_bytes=MIB, max_rows=50, max_classes=5, max_metadata_columns=3, max_label_length=20,
               max_field_bytes=64 * 1024)


def csv_bytes(rows: int, *, classes: int = 2, extra: str = "") -> bytes:
    lines = [f"id,label,prediction{extra and ',' + extra}"]
    lines += [f"{i},c{i % classes},c{(i + 1) % classes}" + ("," + "0" * 1 if extra else "") for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def refused(work, *args, **kwargs) -> EvaluationError:  # type: ignore[no-untyped-def]
    with pytest.raises(EvaluationError) as info:
        work(*args, **kwargs)
    return info.value


def test_defaults_and_dashboard_limits_are_exported() -> None:
    assert evaluation.Limits is Limits and evaluation.DASHBOARD_LIMITS is DASHBOARD_LIMITS
    assert Limits() == Limits(max_bytes=4 * GIB, max_rows=20_000_000, max_classes=1_000, max_metadata_columns=200,
                              max_label_length=1_000, max_field_bytes=16 * MIB, hint="raise it with {option}")
    dashboard = DASHBOARD_LIMITS
    assert (dashboard.max_bytes, dashboard.max_rows, dashboard.max_classes, dashboard.max_metadata_columns,
            dashboard.max_label_length) == (GIB, 2_000_000, 200, 50, 200)
    assert LoadOptions().limits == Limits()


@pytest.mark.parametrize("change", [{"max_rows": 0}, {"max_bytes": -1}, {"max_classes": 2.5}, {"max_label_length": True},
                                    {"hint": "raise {nothing}"}])
def test_limits_refuse_values_that_are_not_limits(change: dict[str, object]) -> None:
    assert "Limits" in str(refused(Limits, **change)) or "must be a positive whole number" in str(refused(Limits, **change))


def test_options_read_back_from_json_rebuild_the_limits() -> None:
    options = LoadOptions(limits=DASHBOARD_LIMITS)
    document = json.loads(json.dumps(dataclasses.asdict(options)))
    assert LoadOptions(**{**document, "mapping": options.mapping}).limits == DASHBOARD_LIMITS


@pytest.mark.parametrize("text, size", [("1000", 1000), ("500M", 500 * MIB), ("4G", 4 * GIB), ("1.5GiB", 3 * GIB // 2),
                                        ("64kb", 64 * 1024), (" 2 t ", 2 * 1024 * GIB)])
def test_sizes_parse_with_suffixes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "M", "-1", "0", "4X", "1e9"])
def test_sizes_that_are_not_sizes(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_sizes_print_readably() -> None:
    assert [format_size(n) for n in (1, 1023, 1024, 10 * MIB, 4 * GIB, 3 * GIB // 2)] == [
        "1 bytes", "1,023 bytes", "1 KiB", "10 MiB", "4 GiB", "1.5 GiB"]


# --- bytes -----------------------------------------------------------------------------------------

def test_a_plain_file_is_measured_by_its_size_not_read(tmp_path) -> None:
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as handle:
        handle.write(b"id,label,prediction\n1,a,a\n")
        handle.truncate(10 * GIB)  # sparse: ten gigabytes that are never written or read
    start = time.perf_counter()
    error = refused(read_table, huge)
    assert time.perf_counter() - start < 1
    assert str(error) == ("huge.csv: the file holds 10 GiB; the limit is 4 GiB per file (raise it with --max-bytes)")


def test_a_gzip_bomb_stops_at_the_byte_limit_while_decompressing() -> None:
    bomb = gzip.compress(csv_bytes(10) + b"1,a,a\n" * 5_000_000, compresslevel=1)  # 30 MB from ~150 KB
    tracemalloc.start()
    try:
        error = refused(read_table, ("bomb.csv.gz", bomb), limits=Limits(max_bytes=MIB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(error) == ("bomb.csv.gz: more than 1 MiB of data once decompressed (decompression stopped there); the "
                          "limit is 1 MiB per file (raise it with --max-bytes)")
    assert peak < 8 * MIB  # the limit and a piece or two, not the 30 MB


def test_parquet_is_refused_by_its_decoded_size_before_it_is_decoded() -> None:
    rows = 200_000
    long_text = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype=np.int32)), pa.array(["x" * 1_000]))
    buffer = io.BytesIO()
    pq.write_table(pa.table({"label": pa.array(["a", "b"] * (rows // 2)), "text": long_text.cast(pa.string())}), buffer)
    assert len(buffer.getvalue()) < MIB  # 200 MB of text once decoded
    error = refused(read_table, ("long.parquet", buffer.getvalue()), limits=Limits(max_bytes=20 * MIB))
    assert "decoded, the file holds more than 20 MiB; the limit is 20 MiB per file (raise it with --max-bytes)" in str(error)
    wide = io.BytesIO()
    pq.write_table(pa.table({f"p{i}": np.zeros(100_000) for i in range(50)} | {"label": ["a"] * 100_000}), wide)
    error = refused(read_table, ("wide.parquet", wide.getvalue()), limits=Limits(max_bytes=10 * MIB))
    assert "decoded, the file holds at least 38.5 MiB" in str(error)


# --- rows ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["csv", "tsv", "jsonl", "parquet"])
def test_more_rows_than_the_limit(kind: str) -> None:
    frame = pd.DataFrame({"id": range(120), "label": ["a", "b"] * 60, "prediction": ["a"] * 120})
    if kind == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer)
        content = buffer.getvalue()
    elif kind == "jsonl":
        content = frame.to_json(orient="records", lines=True).encode()
    else:
        content = frame.to_csv(index=False, sep="\t" if kind == "tsv" else ",").encode()
    message = str(refused(read_table, (f"many.{kind}", content), limits=SMALL))
    found = "the file has 120 data rows" if kind == "parquet" else "the file has more than 50 data rows"
    assert message == f"many.{kind}: {found}; the limit is 50 rows per file (raise it with --max-rows)"
    assert read_table((f"many.{kind}", content), limits=dataclasses.replace(SMALL, max_rows=120)).num_rows == 120


def test_rows_after_a_blank_first_line_are_counted_too() -> None:
    message = str(refused(read_table, ("blank.csv", b"\nid,label\n" + b"1,a\n" * 3_000), limits=SMALL))
    assert message == "blank.csv: the file has 3,000 data rows; the limit is 50 rows per file (raise it with --max-rows)"


def test_lines_are_not_rows_when_values_hold_line_breaks() -> None:
    rows = "".join(f'{i},a,"line one\nline two\nline three"\n' for i in range(40))
    table = read_table(("quoted.csv", ("id,label,text\n" + rows).encode()), limits=SMALL)
    assert table.num_rows == 40  # 120 lines, but 40 rows: within the limit of 50


# --- classes ---------------------------------------------------------------------------------------

def test_five_thousand_labels_are_refused_before_any_per_class_work() -> None:
    # The probe: 5,000 labels in a 400 KB file ran 377 s and took 6.1 GB.
    content = csv_bytes(40_000, classes=5_000)
    start = time.perf_counter()
    error = refused(load_classification, [("a.csv", content), ("b.csv", content)])
    assert time.perf_counter() - start < 5
    assert str(error).startswith("a.csv: column 'label' holds more than 1,000 distinct labels (for example 'c0', 'c1', ")
    assert str(error).endswith("; the limit is 1,000 classes (raise it with --max-classes)")
    assert error.file == "a.csv" and error.column == "label"


def test_classes_are_counted_across_files_and_probability_columns() -> None:
    base = ("base.csv", b"id,label,prediction\n1,a,b\n2,c,a\n")
    other = ("other.csv", b"id,label,prediction\n1,a,x\n2,c,y\n")
    options = LoadOptions(limits=dataclasses.replace(SMALL, max_classes=4))
    error = refused(load_classification, [base, other], options=options)
    assert str(error) == ("other.csv: together with base.csv, the true labels, predictions and probability columns hold 5 "
                          "distinct classes (for example 'a', 'b', 'c', 'x', 'y'); the limit is 4 classes (raise it with "
                          "--max-classes)")
    probabilities = ",".join(f"prob_{i}" for i in range(6))
    error = refused(load_prediction_file, ("p.csv", f"id,label,{probabilities}\n1,0,1,0,0,0,0,0\n".encode()),
                    options=LoadOptions(limits=SMALL))
    assert "p.csv: the file has 6 probability columns, one per class (prob_0, prob_1, " in str(error)
    error = refused(load_classification, [base], options=LoadOptions(labels=tuple("abcdef"), limits=SMALL))
    assert str(error) == ("6 labels were declared (labels=..., CLI --labels); the limit is 5 classes (raise it with "
                          "--max-classes)")


def test_inspect_file_honours_the_class_limit() -> None:
    error = refused(inspect_file, ("m.csv", csv_bytes(10, classes=10)), limits=SMALL)
    assert "m.csv: column 'label' holds more than 5 distinct labels" in str(error)


# --- columns ---------------------------------------------------------------------------------------

def test_too_many_metadata_columns_and_how_to_avoid_them() -> None:
    content = b"id,label,prediction,m1,m2,m3,m4\n1,a,b,1,2,3,4\n"
    error = refused(load_prediction_file, ("meta.csv", content), options=LoadOptions(limits=SMALL))
    assert str(error) == ("meta.csv: the file has 4 metadata columns (columns to slice by: m1, m2, m3, m4); the limit is 3 "
                          "metadata columns (raise it with --max-metadata-columns)")
    chosen = LoadOptions(mapping=evaluation.ColumnMapping(metadata=("m1",)), limits=SMALL)
    assert load_prediction_file(("meta.csv", content), options=chosen).metadata.column_names == ["m1"]
    assert inspect_file(("meta.csv", content), limits=SMALL).columns[-1] == "m4"  # chosen later, in the dashboard


@pytest.mark.parametrize("kind", ["csv", "parquet", "jsonl"])
def test_a_hundred_thousand_columns_are_refused_on_the_header(kind: str) -> None:
    names = ["id", "label", "prediction", *(f"m{i}" for i in range(100_000))]
    if kind == "csv":
        content = (",".join(names) + "\n" + ",".join(["1", "a", "a"] + ["0"] * 100_000) + "\n").encode()
    elif kind == "jsonl":
        content = (json.dumps(dict.fromkeys(names, 0) | {"label": "a", "prediction": "a"}) + "\n").encode()
    else:
        buffer = io.BytesIO()
        pq.write_table(pa.table({name: [0] for name in names[:3]} | {name: [0] for name in names[3:20_000]}), buffer)
        content = buffer.getvalue()
        names = names[:20_000]
    start = time.perf_counter()
    error = refused(load_classification, [(f"wide.{kind}", content)] * 2)
    assert time.perf_counter() - start < 5
    assert str(error) == (f"wide.{kind}: the file has {len(names):,} columns; the limit is 1,206 columns (1,000 for class "
                          "probabilities, 200 for metadata and 6 for id, label, prediction, score, split and timestamp) "
                          "(raise it with --max-metadata-columns or --max-classes)")


# --- lengths ---------------------------------------------------------------------------------------

def test_labels_longer_than_the_limit() -> None:
    long = "y" * 100_000
    limits = dataclasses.replace(SMALL, max_field_bytes=MIB)
    error = refused(load_prediction_file, ("l.csv", f"id,label,prediction\n1,a,{long}\n2,b,a\n".encode()),
                    options=LoadOptions(limits=limits))
    assert str(error) == ("l.csv: column 'prediction' holds a label of 100,000 characters ('" + "y" * 50 + "'... (100,000 "
                          "characters)); the limit is 20 characters per label (raise it with --max-label-length)")
    error = refused(load_prediction_file, ("p.csv", f"label,prob_{long},prob_b\nb,0.5,0.5\n".encode()),
                    options=LoadOptions(limits=limits))
    assert "names a class of 100,000 characters; the limit is 20 characters per label" in str(error)
    assert len(str(error)) < 300


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_field_longer_than_the_limit_names_its_row_and_column(kind: str) -> None:
    # The probe: a 10 MB field got Arrow's "straddling object straddles two block boundaries".
    big = "z" * (10 << 20)
    if kind == "csv":
        content = f"id,label,prediction,text\n1,a,a,short\n2,b,a,{big}\n".encode()
        where = "row 2 (line 3 of the file; row 1 is the first data row) holds a field"
    else:
        content = (json.dumps({"id": 1, "label": "a", "prediction": "a", "text": "short"}) + "\n"
                   + json.dumps({"id": 2, "label": "b", "prediction": "a", "text": big}) + "\n").encode()
        where = "line 2 holds a value"
    error = refused(read_table, (f"big.{kind}", content), limits=DASHBOARD_LIMITS)
    assert str(error) == (f"big.{kind}: {where} of 10,485,760 bytes (10 MiB) in column 'text'; the limit is 1 MiB per field "
                          "(the dashboard's limit; use the command line for larger files)")
    assert error.column == "text"
    table = read_table((f"big.{kind}", content))  # within the command line's 16 MiB: read with a larger block
    assert table.column("text").to_pylist() == ["short", big]


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_field_limit_below_arrows_block_is_checked_after_reading(kind: str) -> None:
    frame = pd.DataFrame({"id": [1, 2], "label": ["a", "b"], "text": ["short", "t" * 5_000]})
    content = frame.to_csv(index=False).encode() if kind == "csv" else frame.to_json(orient="records", lines=True).encode()
    error = refused(read_table, (f"f.{kind}", content), limits=Limits(max_field_bytes=1_000))
    assert str(error) == (f"f.{kind}: row 2 (row 1 is the first data row) holds a field of 5,000 bytes (4.9 KiB) in column "
                          "'text'; the limit is 1,000 bytes per field (raise it with --max-field-bytes)")
    assert read_table((f"f.{kind}", content), limits=Limits(max_field_bytes=5_000)).num_rows == 2


def test_a_column_name_longer_than_the_field_limit() -> None:
    content = b"id,label," + b"n" * (2 << 20) + b"\n1,a,b\n"
    error = refused(read_table, ("name.csv", content), limits=DASHBOARD_LIMITS)
    assert str(error).startswith("name.csv: the header holds a column name of 2,097,152 bytes (2 MiB); the limit is 1 MiB")


def test_messages_quote_long_values_briefly() -> None:
    long = "q" * 100_000
    generous = Limits(max_label_length=200_000)
    cases = [
        ([("a.csv", f"id,label,prediction\n{long},a,a\n2,b,b\n".encode()),
          ("b.csv", f"id,label,prediction\n{long},b,a\n2,b,b\n".encode())], {}),  # the true label of a long id differs
        ([("a.csv", f"id,label,prediction\n{long},a,a\n{long},b,b\n".encode())], {}),  # a long id repeated
        ([("a.csv", f"id,{long},prediction\n1,a,a\n".encode())], {}),  # no label column: the columns found are listed
        ([("a.csv", f"id,label,prediction\n1,{long},a\n2,b,b\n".encode())],
         {"labels": ("a", "b"), "limits": generous}),  # a label not among those declared
        ([("a.csv", f"id,label,prediction\n1,{long},a\n2,b,b\n".encode())], {}),  # beyond the label length
        ([("a.csv", f"id,label,prob_{long},prob_b\n1,a,0.5,0.5\n".encode())], {"limits": generous}),  # no prob_a
        ([("a.csv", b"id,label\n1,a\n")], {"mapping": evaluation.ColumnMapping(prediction=long)}),  # not found
    ]
    for files, options in cases:
        message = str(refused(load_classification, files, options=LoadOptions(**options)))  # type: ignore[arg-type]
        assert len(message) < 1_000, message[:2_000]


# --- JSON nesting and nested metadata --------------------------------------------------------------

def test_json_nested_deeper_than_arrow_can_read_is_refused() -> None:
    # Arrow's JSON reader crashes the process (a stack overflow) some 15,000 levels down.
    deep = b'{"id": 1, "label": "a", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\n"
    error = refused(read_table, ("deep.jsonl", b'{"id": 0, "label": "b", "x": []}\n' + deep))
    assert str(error) == ("deep.jsonl: line 2 nests lists or objects 50,001 levels deep; expected one flat JSON object per "
                          "line (values nested at most 1,000 levels)")
    brackets_in_text = json.dumps({"id": 1, "label": "a", "x": "[" * 5_000}).encode() + b"\n"
    assert read_table(("text.jsonl", brackets_in_text)).num_rows == 1


def test_nested_metadata_is_left_out_or_refused_when_chosen() -> None:
    content = b'{"id": 1, "label": "a", "prediction": "a", "tags": [1, 2], "city": "oslo"}\n' \
              b'{"id": 2, "label": "b", "prediction": "a", "tags": [3], "city": "rome"}\n'
    loaded = load_prediction_file(("n.jsonl", content))
    assert loaded.metadata.column_names == ["city"]
    assert loaded.warnings == ("n.jsonl: tags holds lists or records, which cannot be sliced by, and was left out of the "
                               "metadata",)
    chosen = LoadOptions(mapping=evaluation.ColumnMapping(metadata=("tags",)))
    assert "metadata column 'tags' holds lists or records" in str(refused(load_prediction_file, ("n.jsonl", content),
                                                                          options=chosen))


def test_limits_leave_ordinary_files_alone(tmp_path) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(csv_bytes(50, extra="m1"))
    assert load_prediction_file(path, options=LoadOptions(limits=SMALL)).n_rows == 50
    assert os.path.getsize(path) < SMALL.max_bytes
