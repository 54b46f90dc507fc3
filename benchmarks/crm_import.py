"""CRM import at scale: records against csv.reader, and note indexing against the raw embedder, in the same run.

1. Records: `deals import` of 50,000 rows into a fresh home, in two export shapes: the opportunity table
   (blanks by design, ISO dates, plain numbers) and a European HubSpot-like export (BOM, CRLF, semicolons,
   `12.500,00 €`, day-first dates, quoted newlines, a few unusable rows). Records only (the rows carry no
   notes to embed; multi-line quoted texts are next steps, which are not embedded unless asked). Everything
   `coachgen deals import` does is included: reading, deciding the date order and decimal mark, mapping
   stages, the upsert in one transaction, marking vanished deals. Median of 3 imports, each into a fresh
   home, against reading the same file with `csv.reader` alone (median of 5). Target: < 10 s.
2. Notes: the import of the second corpus's 9,457-row HubSpot-style export (tests/corpora/northwind, 380
   deals with notes), or its first `--note-rows` rows. Indexing time = the import's wall time minus the
   wall time of importing the same rows with the notes blanked (both into a fresh home, with the model
   load and the vector store's start-up counted). Its throughput (chunks / s) is set against the raw
   embedder's, `embed_batch` over exactly the texts the import embeds, measured just before. Target:
   >= 0.8x.

Run: .venv/bin/python benchmarks/crm_import.py [--rows 50000] [--note-rows 9457] [--skip-records] [--skip-notes]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import ROOT, median_seconds, temp_home  # noqa: E402
from crm_exports import write_european_export, write_opportunity_tables  # noqa: E402

from coachgen.index.embeddings import OnnxMiniLM  # noqa: E402
from coachgen.ingest.chunking import chunk_document  # noqa: E402
from coachgen.ingest.loader import CrmOptions, SourceFile, load_file  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402

NORTHWIND = ROOT / "tests" / "corpora" / "northwind" / "crm" / "opportunities.csv"
NOTES_COLUMN = "Deal Description"


def _import(path: Path, options: CrmOptions | None = None) -> int:
    """Import into a fresh home, as `coachgen deals import` does; the number of chunks embedded."""
    kb = KnowledgeBase(load_settings(home=temp_home(), environ={}))
    report = kb.ingest([path], crm=options or CrmOptions(kind="deals"))
    kb.close()
    if report.errors or not report.deals:
        raise SystemExit(f"import failed: {report.errors}")
    return report.chunks_embedded


def _csv_only(path: Path) -> None:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        list(csv.reader(handle, delimiter=";" if path.name.startswith("eu") else ","))


def records(rows: int) -> None:
    folder = temp_home()
    shapes = {
        "opportunity table": write_opportunity_tables(folder, rows=rows)["deals"],
        "European HubSpot-like": folder / "eu-export.csv",
    }
    write_european_export(shapes["European HubSpot-like"], rows=rows, bad=20, notes=False)
    print(f"records: deals import of {rows:,} rows into a fresh home (median of 3) against csv.reader alone (median of 5)")
    for name, path in shapes.items():
        baseline = median_seconds(lambda: _csv_only(path), 5)
        whole = median_seconds(lambda: _import(path), 3)
        print(f"  {name:22} csv.reader {baseline * 1000:6.0f} ms   import {whole * 1000:6.0f} ms   ratio {whole / baseline:5.1f}"
              f"   (target < 10000 ms)")


def _export_copy(rows: int, blank_notes: bool) -> Path:
    """The first ``rows`` rows of the northwind export, with its notes blanked when asked."""
    with NORTHWIND.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader)
        body = [row for _, row in zip(range(rows), reader)]
    if blank_notes:
        column = header.index(NOTES_COLUMN)
        body = [[cell if i != column else "" for i, cell in enumerate(row)] for row in body]
    path = temp_home() / "opportunities.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(body)
    return path


def notes(rows: int) -> None:
    options = CrmOptions(preset="hubspot", kind="deals")
    full, blank = _export_copy(rows, False), _export_copy(rows, True)
    settings = load_settings(home=temp_home(), environ={})
    loaded = load_file(SourceFile(full, full.parent, full.name), settings.max_crm_bytes, options)
    texts = [chunk.embedding_text() for document in loaded.documents for chunk in chunk_document(document, settings.chunk_chars)]
    start = time.perf_counter()
    _csv_only(full)
    reader_s = time.perf_counter() - start
    embedder = OnnxMiniLM()
    embedder.embed_batch(texts[:2])  # warm
    start = time.perf_counter()
    embedder.embed_batch(texts)
    raw_s = time.perf_counter() - start
    del embedder
    start = time.perf_counter()
    _import(blank, options)
    records_s = time.perf_counter() - start
    start = time.perf_counter()
    embedded = _import(full, options)
    full_s = time.perf_counter() - start
    if embedded != len(texts):
        raise SystemExit(f"the import embedded {embedded} chunks, the raw run {len(texts)}")
    indexing_s = full_s - records_s
    raw_rate, import_rate = len(texts) / raw_s, len(texts) / indexing_s
    print(f"notes: import of {rows:,} rows with {len(loaded.documents)} deals with notes ({len(texts)} chunks), one run each")
    print(f"  csv.reader alone          {reader_s * 1000:8.0f} ms")
    print(f"  raw embedder              {raw_s:8.1f} s   {raw_rate:6.2f} chunks/s")
    print(f"  import, notes blanked     {records_s:8.1f} s")
    print(f"  import with notes         {full_s:8.1f} s   indexing {indexing_s:.1f} s, {import_rate:6.2f} chunks/s")
    print(f"  indexing / raw embedder   {import_rate / raw_rate:8.2f}x   (target >= 0.8x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--note-rows", type=int, default=9_457)
    parser.add_argument("--skip-records", action="store_true")
    parser.add_argument("--skip-notes", action="store_true")
    args = parser.parse_args()
    if not args.skip_records:
        records(args.rows)
    if not args.skip_notes:
        notes(args.note_rows)


if __name__ == "__main__":
    main()
