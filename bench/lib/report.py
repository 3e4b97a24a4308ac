"""report.py - the markdown document the harness writes.

Doc collects blocks (headings, paragraphs, tables, images) in order and
renders them once at the end. table() takes rows of already formatted cells.
"""

NA = "n/a (not available in this build)"


class Doc:
    def __init__(self):
        self.blocks = []

    def h(self, level, text):
        self.blocks.append("#" * level + " " + text)

    def p(self, text):
        self.blocks.append(text.strip())

    def code(self, text, lang=""):
        self.blocks.append(f"```{lang}\n{text.rstrip()}\n```")

    def table(self, headers, rows, align=None):
        if not rows:
            self.p("_(no rows)_")
            return
        align = align or ["l"] + ["r"] * (len(headers) - 1)
        sep = ["---:" if a == "r" else "---" for a in align]
        lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
        for r in rows:
            r = list(r) + [""] * (len(headers) - len(r))
            cells = [str(c).replace("|", "\\|") for c in r]
            lines.append("| " + " | ".join(cells) + " |")
        self.blocks.append("\n".join(lines))

    def image(self, alt, path):
        self.blocks.append(f"![{alt}]({path})")

    def render(self):
        return "\n\n".join(self.blocks) + "\n"
