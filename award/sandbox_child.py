"""The child process of award.sandbox: `python -I sandbox_child.py KIND CPU_SECONDS MEMORY_BYTES [ARGS]`.

Runs as a script, not as part of the app: it imports only the standard library and the parser
(pypdf, openpyxl). It caps its own CPU time and address space first, reads the file from stdin
and writes one JSON object to stdout. Running out of memory answers {"limits": true}; running out
of CPU time kills it with SIGXCPU, which the parent reads as "not finished".

KIND pdf: {"verdict": "ok" | "pdf_encrypted" | "pdf_unreadable"}; a PDF must open and have a page.
KIND xlsx MAX_ROWS MAX_COLUMNS MAX_CELL_CHARS MAX_TEXT_CHARS: the first sheet's rows,
{"rows": [[cell, ...], ...]} with dates and times tagged, or {"refused": REASON, "row": n, ...}.
"""

import datetime as dt
import io
import json
import resource
import sys


def limit(cpu_seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump core
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # a parser has no file to write


def check_pdf(data: bytes) -> dict:
    import logging
    import warnings

    logging.disable(logging.CRITICAL)  # pypdf logs every quirk of a hostile file
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                return {"verdict": "pdf_encrypted"}
            if len(reader.pages) < 1:
                return {"verdict": "pdf_unreadable"}
    except MemoryError:
        raise
    except Exception:  # any failure of the parser on this file means it cannot be opened
        return {"verdict": "pdf_unreadable"}
    return {"verdict": "ok"}


def _cell(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"seconds": value.total_seconds()}
    return str(value)


def read_xlsx(data: bytes, max_rows: int, max_columns: int, max_cell_chars: int, max_text_chars: int) -> dict:
    import warnings

    from openpyxl import load_workbook

    warnings.simplefilter("ignore")  # openpyxl warns about unsupported extensions of real files
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return {"refused": "unreadable"}
    rows = []
    text_chars = 0
    try:
        if not workbook.worksheets:
            return {"refused": "unreadable"}
        sheet = workbook.worksheets[0].iter_rows(values_only=True, max_col=max_columns)
        for number, row in enumerate(sheet, start=1):
            if number > max_rows:
                return {"refused": "rows", "row": number}
            cells = list(row)
            while cells and cells[-1] is None:
                cells.pop()
            for column, value in enumerate(cells, start=1):
                if isinstance(value, str):
                    if len(value) > max_cell_chars:
                        return {"refused": "cell", "row": number, "column": column}
                    text_chars += len(value)
            if text_chars > max_text_chars:
                return {"refused": "text", "row": number}
            rows.append([_cell(value) for value in cells])
    except MemoryError:
        raise
    except Exception:
        return {"refused": "unreadable"}
    finally:
        workbook.close()
    return {"rows": rows}


def main(argv: list) -> int:
    kind, cpu_seconds, memory_bytes, *args = argv
    limit(int(cpu_seconds), int(memory_bytes))
    data = sys.stdin.buffer.read()
    try:
        if kind == "pdf":
            answer = check_pdf(data)
        elif kind == "xlsx":
            answer = read_xlsx(data, *(int(arg) for arg in args))
        else:
            return 2
    except MemoryError:
        answer = {"limits": True}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
