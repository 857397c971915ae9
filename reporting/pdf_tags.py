"""What WeasyPrint's PDF/UA-1 writer leaves to do, done on its PDF before it is written
(``write_pdf(finisher=finish_tagged)``).

The running header, footer and page numbers (the @page margin boxes): WeasyPrint marks
their text as content with an id (``/Span <</MCID n>> BDC``) but leaves it out of the
structure tree, and PDF/UA wants every piece of content either in the tree or marked as an
artifact. Here their marked content becomes ``/Artifact BMC`` and their ids leave the parent
tree, so a screen reader skips them as it does a printed page's furniture, and reads the
tree in the order of the page.

Table header cells: WeasyPrint links each data cell to its headers (/Headers, /ID) but
gives a TH no /Scope, which checkers and some readers look for: a TH in the table's head
row is a column header, one in its body (``<th scope="row">``) a row header.

(Links already carry ``/Contents``, and the language, title and ``DisplayDocTitle`` come
from the HTML: WeasyPrint writes them.)
"""

import pydyf


def _number(reference) -> int:
    """The object number of a reference as pydyf holds it (b"12 0 R")."""
    return int(bytes(reference).split()[0])


def _in_tree(pdf, root) -> set[int]:
    """The numbers of every structure element reachable from the tree's root."""
    seen: set[int] = set()
    stack = list(root["K"])
    while stack:
        reference = stack.pop()
        if not isinstance(reference, bytes):  # a marked-content id, not an element
            continue
        number = _number(reference)
        if number in seen:
            continue
        seen.add(number)
        element = pdf.objects[number]
        if isinstance(element, pydyf.Dictionary) and isinstance(element.get("K"), list):
            stack.extend(element["K"])
    return seen


def finish_tagged(document, pdf) -> None:
    if "StructTreeRoot" not in pdf.catalog:
        return
    root = pdf.objects[_number(pdf.catalog["StructTreeRoot"])]
    nums = pdf.objects[_number(root["ParentTree"])]["Nums"]
    in_tree = _in_tree(pdf, root)
    _scope_header_cells(pdf, in_tree)
    page_numbers = pdf.pages["Kids"][::3]  # Kids is flat: number, 0, "R" for each page
    for index in range(0, len(nums), 2):
        key, value = nums[index], nums[index + 1]
        if not isinstance(value, list):
            continue  # an annotation's entry (a link), not a page's
        orphans = {mcid for mcid, reference in enumerate(value) if _number(reference) not in in_tree}
        if not orphans:
            continue
        page = pdf.objects[page_numbers[key]]
        _mark_as_artifacts(pdf.objects[_number(page["Contents"])], orphans)
        for mcid in orphans:
            value[mcid] = "null"  # the array is indexed by id: an artifact's entry is empty


def _scope_header_cells(pdf, in_tree: set[int]) -> None:
    for number in in_tree:
        cell = pdf.objects[number]
        if not isinstance(cell, pydyf.Dictionary) or cell.get("S") != "/TH":
            continue
        row = pdf.objects[_number(cell["P"])]
        group = pdf.objects[_number(row["P"])]  # THead, TBody or TFoot (or the Table itself)
        attributes = cell.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
        attributes["Scope"] = "/Column" if group.get("S") == "/THead" else "/Row"


def _mark_as_artifacts(stream, mcids: set[int]) -> None:
    """``/Tag <</MCID n>> BDC`` -> ``/Artifact BMC`` for the ids in ``mcids``."""
    operations, out, n = stream.stream, [], 0
    while n < len(operations):
        operation = operations[n]
        if (
            isinstance(operation, str)
            and n + 2 < len(operations)
            and isinstance(operations[n + 1], dict)
            and operations[n + 1].get("MCID") in mcids
            and operations[n + 2] == b"BDC"
        ):
            out += ["/Artifact", b"BMC"]
            n += 3
            continue
        out.append(operation)
        n += 1
    stream.stream[:] = out
