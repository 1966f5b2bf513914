"""Reading files: every format and compression, and one test per unreadable input."""

from __future__ import annotations

import gzip
import io

import pandas as pd
import pyarrow as pa
import pytest

from evaluation._errors import EvaluationError
from evaluation._io import ACCEPTED_EXTENSIONS, model_name, read_table

FRAME = pd.DataFrame({"id": ["a", "b", "c"], "label": ["cat", "dog", "cat"], "prob": [0.25, 0.5, 1.0]})


def encode(frame: pd.DataFrame, kind: str) -> bytes:
    """The frame written as ``kind``."""
    if kind in ("csv", "txt"):
        return frame.to_csv(index=False).encode()
    if kind == "tsv":
        return frame.to_csv(index=False, sep="\t").encode()
    if kind in ("parquet", "pq"):
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    return frame.to_json(orient="records", lines=True).encode()


def read_error(name: str, content: bytes) -> EvaluationError:
    with pytest.raises(EvaluationError) as info:
        read_table((name, content))
    assert info.value.file == name
    assert str(info.value).startswith(name)
    return info.value


@pytest.mark.parametrize("kind", ["csv", "tsv", "txt", "parquet", "pq", "jsonl", "ndjson"])
@pytest.mark.parametrize("compressed", [False, True])
def test_every_format_reads_the_same_table(kind: str, compressed: bool) -> None:
    content = encode(FRAME, kind)
    name = f"preds.{kind}" + (".gz" if compressed else "")
    table = read_table((name, gzip.compress(content) if compressed else content))
    assert table.column_names == ["id", "label", "prob"]
    assert table.column("label").to_pylist() == ["cat", "dog", "cat"]
    assert table.column("prob").to_pylist() == [0.25, 0.5, 1.0]


def test_paths_bytes_and_pairs_are_all_sources(tmp_path) -> None:
    path = tmp_path / "preds.csv.gz"
    path.write_bytes(gzip.compress(encode(FRAME, "csv")))
    from_path = read_table(path)
    from_string = read_table(str(path))
    from_bytes = read_table(encode(FRAME, "csv"), filename="preds.csv")
    assert from_path.equals(from_string)
    assert from_path.equals(from_bytes)


def test_text_columns_keep_leading_zeros_and_the_rest_is_typed() -> None:
    table = read_table(("p.csv", b"id,label,n\n007,1.0,3\n010,2,4\n"), text_columns=lambda header: ["id", "label"])
    assert table.column("id").to_pylist() == ["007", "010"]
    assert table.column("label").to_pylist() == ["1.0", "2"]
    assert pa.types.is_integer(table.column("n").type)


def test_utf8_bom_is_accepted() -> None:
    table = read_table(("p.csv", b"\xef\xbb\xbfid,label\n1,caf\xc3\xa9\n"))
    assert table.column_names == ["id", "label"]
    assert table.column("label").to_pylist() == ["café"]


@pytest.mark.parametrize("delimiter", [";", "|"])
def test_semicolon_or_pipe_delimited_csv_is_sniffed(delimiter: str) -> None:
    content = f"id{delimiter}label\n1{delimiter}a\n".encode()
    assert read_table(("p.csv", content)).column_names == ["id", "label"]


def test_unknown_extension_lists_the_accepted_ones() -> None:
    error = read_error("preds.xlsx", b"whatever")
    assert "'.xlsx'" in str(error)
    for extension in ACCEPTED_EXTENSIONS:
        assert extension in str(error)
    assert ".gz" in str(error)


def test_text_that_is_not_utf8_names_the_byte_line_and_fix() -> None:
    error = read_error("latin.csv", "id,label\n1,ok\n2,café\n".encode("latin-1"))
    message = str(error)
    assert "byte 0xe9" in message
    assert "line 3" in message and "row 2" in message
    assert "re-save the file as UTF-8" in message


def test_header_that_is_not_utf8() -> None:
    error = read_error("latin.csv", "id,étiquette\n1,a\n".encode("latin-1"))
    assert "byte 0xe9 on line 1 (the header)" in str(error)


def test_jsonl_that_is_not_utf8() -> None:
    error = read_error("latin.jsonl", '{"id": 1, "label": "ok"}\n{"id": 2, "label": "café"}\n'.encode("latin-1"))
    assert "byte 0xe9 on line 2" in str(error) and "UTF-8" in str(error)


def test_utf16_text_is_refused_with_the_fix() -> None:
    error = read_error("wide.csv", "id,label\n1,a\n".encode("utf-16"))
    assert "UTF-16" in str(error) and "re-save the file as UTF-8" in str(error)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file(content: bytes) -> None:
    assert "the file is empty" in str(read_error("empty.csv", content))


@pytest.mark.parametrize("name, content", [
    ("head.csv", b"id,label,prediction\n"), ("head.parquet", encode(FRAME.iloc[:0], "parquet")),
])
def test_header_only_means_no_rows(name: str, content: bytes) -> None:
    message = str(read_error(name, content))
    assert "no data rows" in message and "expected at least one row" in message


def test_ragged_rows_name_the_row_and_line() -> None:
    message = str(read_error("ragged.csv", b"id,label\n1,a\n2,b,extra\n3,c\n"))
    assert "row 2 (line 3 of the file" in message
    assert "3 fields but the header has 2 columns" in message
    assert "'2,b,extra'" in message


@pytest.mark.parametrize("name, content, expected", [
    ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
    ("book.csv", b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
    ("table.csv", encode(FRAME, "parquet"), "name it .parquet"),
])
def test_binary_content_is_not_a_table(name: str, content: bytes, expected: str) -> None:
    assert expected in str(read_error(name, content))


def test_text_named_parquet_is_refused() -> None:
    assert "not a Parquet file" in str(read_error("p.parquet", encode(FRAME, "csv")))


def test_truncated_parquet_is_unreadable() -> None:
    content = encode(FRAME, "parquet")
    message = str(read_error("cut.parquet", content[:40] + content[-8:]))
    assert "could not be read as Parquet" in message


def test_damaged_gzip_and_plain_text_named_gz() -> None:
    assert "damaged or truncated" in str(read_error("p.csv.gz", gzip.compress(encode(FRAME, "csv"))[:-12]))
    assert "not gzip-compressed" in str(read_error("p.csv.gz", encode(FRAME, "csv")))


def test_jsonl_line_that_is_not_json_is_named() -> None:
    message = str(read_error("bad.jsonl", b'{"id": 1, "label": "a"}\n{"id": 2 "label": "b"}\n'))
    assert "line 2 is not valid JSON" in message


def test_jsonl_line_that_is_not_an_object() -> None:
    assert "line 2 is a JSON list, not an object" in str(read_error("bad.jsonl", b'{"id": 1}\n[1, 2]\n'))


def test_jsonl_column_mixing_text_and_numbers() -> None:
    error = read_error("mixed.jsonl", b'{"id": 1, "label": "a"}\n{"id": 2, "label": 3}\n')
    assert error.column == "label"
    assert "a str on line 1 but a number on line 2" in str(error)


def test_repeated_column_names() -> None:
    error = read_error("twice.csv", b"id,label,label\n1,a,b\n")
    assert error.column == "label" and "appears more than once" in str(error)


def test_missing_file_names_the_path(tmp_path) -> None:
    with pytest.raises(EvaluationError, match="file not found") as info:
        read_table(tmp_path / "nope.csv")
    assert info.value.file == "nope.csv"


@pytest.mark.parametrize("filename, expected", [
    ("base.csv", "base"), ("base.csv.gz", "base"), ("ft.v2.jsonl.gz", "ft.v2"), ("model.pq", "model"), ("notes", "notes"),
])
def test_model_name_drops_known_extensions(filename: str, expected: str) -> None:
    assert model_name(filename) == expected


@pytest.mark.parametrize("line_end", [b"\r", b"\r\n", b"\n"])
def test_every_line_ending_reads_the_same_table(line_end: bytes) -> None:
    # Regression: CR-only text (old Mac files) failed in the header sniffing with a traceback.
    for name, delimiter in (("p.csv", b","), ("p.tsv", b"\t")):
        rows = [b"id", b"label", b"prob"], [b"a", b"cat", b"0.25"], [b"b", b"dog", b"0.5"], [b"c", b"cat", b"1.0"]
        table = read_table((name, line_end.join(delimiter.join(row) for row in rows) + line_end))
        assert table.to_pydict() == FRAME.to_dict(orient="list")


def test_gzip_damaged_anywhere_is_a_clear_error() -> None:
    # Regression: a gzip file damaged in the middle raised zlib.error (exit 3 in the CLI).
    compressed = gzip.compress(encode(pd.concat([FRAME] * 300, ignore_index=True), "csv"))
    for position in range(10, len(compressed) - 8, max(1, len(compressed) // 40)):
        damaged = bytearray(compressed)
        damaged[position] ^= 0xFF
        with pytest.raises(EvaluationError, match="the gzip data is damaged or truncated"):
            read_table(("p.csv.gz", bytes(damaged)))


def test_a_header_name_longer_than_the_csv_modules_field_limit() -> None:
    name = "n" * 200_000
    table = read_table(("wide.csv", f"id,label,{name}\n1,a,b\n".encode()))
    assert table.column_names == ["id", "label", name]


def test_unknown_extension_is_quoted_briefly() -> None:
    message = str(read_error("preds." + "x" * 100_000, b"id,label\n1,a\n"))
    assert len(message) < 100_000 + 1_000 and "(100,001 characters)" in message
