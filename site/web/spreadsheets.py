"""CSV files that are safe to open in a spreadsheet program: a cell that
starts like a formula (`= + - @`, or a tab or carriage return before one) is
shown as text, never run (OWASP's CSV injection advice). Every CSV the site
sends is written through `writer`."""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell):
    """A text cell that a spreadsheet would read as a formula, with a leading `'`."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class SafeWriter:
    """`csv.writer`'s writerow and writerows, each cell neutralized."""

    def __init__(self, out):
        self._writer = csv.writer(out)

    def writerow(self, row):
        return self._writer.writerow([neutralize(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(out):
    return SafeWriter(out)


def write_rows(out, rows):
    writer(out).writerows(rows)
