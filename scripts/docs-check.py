#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the rendered documentation (HTML from `make docs`) against the code.

- Every function, struct, enum and typedef that the public headers declare
  or define is documented: it has its own entry (an anchor c.NAME, as the
  kernel-doc directive makes), except structs the headers only declare
  (opaque), which need only be named.
- Every macro and enumerator the public headers define is named in the
  prose (code blocks and struct definitions do not count).
- Every function a .c file exports with EXPORT_SYMBOL*() has an entry.
- No table cell is empty (in a reST simple table, a row whose first cell
  is not blank starts a new row: a continuation line there loses its other
  cells).
- No kernel-doc markup (&struct foo, &foo, %CONST) is left as text: it is
  understood in kernel-doc comments only, not in a plain .rst file.

Prints each problem and exits non-zero when there is any."""
import argparse
import html.parser
import os
import re
import sys


# Elements that do not separate words.
INLINE = {'a', 'abbr', 'b', 'code', 'em', 'i', 'span', 'strong', 'sub', 'sup',
          'tt', 'kbd', 'var', 'cite', 'samp'}


# Marks the start of inline code in Page.plain.
CODE = '\x01'


class Page(html.parser.HTMLParser):
    """Collects the ids, the prose (text outside <pre>), the prose with the
    start of each piece of inline code marked by CODE and no & or % in
    code, and the text of every table cell of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.prose = []
        self.plain = []
        self.code = 0
        self.cells = []
        self.pre = 0
        self.cell = None
        self.row = None
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == 'id' and v:
                self.ids.add(v)
        if tag in ('script', 'style'):
            self.skip += 1
        elif tag == 'pre':
            self.pre += 1
        elif tag == 'code':
            if not self.code:
                self.plain.append(CODE)
            self.code += 1
        elif tag == 'tr':
            self.row = []
        elif tag in ('td', 'th') and self.row is not None:
            self.cell = []
        if tag not in INLINE:
            self.prose.append(' ')
            self.plain.append(' ')

    def handle_endtag(self, tag):
        if tag not in INLINE:
            self.prose.append(' ')
            self.plain.append(' ')
        if tag in ('script', 'style'):
            self.skip -= 1
        elif tag == 'pre':
            self.pre -= 1
        elif tag == 'code':
            self.code -= 1
        elif tag in ('td', 'th') and self.cell is not None:
            self.row.append(' '.join(''.join(self.cell).split()))
            self.cell = None
        elif tag == 'tr' and self.row is not None:
            self.cells.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        if not self.pre:
            self.prose.append(data)
            if self.code:
                # Markup shown as code is no markup left as text.
                data = data.replace('&', '\uff06').replace('%', '\uff05')
            self.plain.append(data)


def strip_comments(text):
    """Drops comments but keeps kernel-doc's /* private: */ markers."""
    return re.sub(r'/\*.*?\*/',
                  lambda m: ' private: ' if 'private:' in m.group(0) else ' ',
                  text, flags=re.S)


def header_names(path):
    """(documented, named): identifiers that need an entry, and identifiers
    that need only be named in the prose."""
    text = strip_comments(open(path).read())
    # Join continued lines so that a #define is one line.
    text = text.replace('\\\n', ' ')
    entry, named = set(), set()
    for m in re.finditer(r'^\s*#\s*define\s+(\w+)', text, re.M):
        name = m.group(1)
        if not name.startswith('_'):        # include guards
            named.add(name)
    code = re.sub(r'^\s*#.*$', '', text, flags=re.M)
    for m in re.finditer(r'\b(struct|enum|union)\s+(\w+)\s*(\{|;)', code):
        kind, name, what = m.groups()
        if what == '{':
            entry.add(name)
        elif kind == 'struct' and re.match(r'\s*struct\s+\w+\s*;',
                                           code[code.rfind('\n', 0, m.start()) + 1:]):
            named.add(name)                 # an opaque struct
    for m in re.finditer(r'\benum\s+\w+\s*\{(.*?)\}', code, re.S):
        body = m.group(1).split('private:')[0]
        for e in re.finditer(r'^\s*(\w+)\s*(?:=[^,\n]*)?,?\s*$', body, re.M):
            named.add(e.group(1))
    for m in re.finditer(r'\btypedef\b[^;]*?\(\s*\*\s*(\w+)\s*\)\s*\(', code):
        entry.add(m.group(1))
    for m in re.finditer(r'\btypedef\b[^;(]*?\b(\w+)\s*;', code):
        entry.add(m.group(1))
    # Functions: a name followed by its parameter list at the start of a
    # declaration or definition (not inside a struct or a parameter list).
    depth = 0
    for m in re.finditer(r'[{}]|(\w+)\s*\(', code):
        tok = m.group(0)
        if tok == '{':
            depth += 1
        elif tok == '}':
            depth -= 1
        elif depth == 0:
            name = m.group(1)
            line = code[code.rfind(';', 0, m.start()) + 1:m.start()]
            line = line[line.rfind('}') + 1:]
            if '(' in line or 'typedef' in line or name in ('sizeof',):
                continue
            entry.add(name)
    public = re.compile(r'(axas|AXAS)_')
    return ({n for n in entry if public.match(n)},
            {n for n in named if public.match(n)})


def exported(path):
    text = open(path, errors='replace').read()
    return set(re.findall(r'^\s*EXPORT_SYMBOL(?:_NS)?(?:_GPL)?\s*\(\s*(\w+)',
                          text, re.M))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--html', required=True, help='rendered HTML directory')
    ap.add_argument('--header', action='append', default=[],
                    help='a public header')
    ap.add_argument('--source', action='append', default=[],
                    help='a .c file whose exports must be documented')
    args = ap.parse_args()

    ids, prose, problems = set(), '', []
    for name in sorted(os.listdir(args.html)):
        if not name.endswith('.html') or name in ('genindex.html', 'search.html'):
            continue
        page = Page()
        page.feed(open(os.path.join(args.html, name)).read())
        ids |= page.ids
        prose += ''.join(page.prose)
        for row in page.cells:
            if row and any(c == '' for c in row):
                problems.append('%s: table row with an empty cell: %s'
                                % (name, ' | '.join(row)))
        # "&struct foo" as text, or "&" before a reference automarkup made
        # of "struct foo"; inline code (CODE) may show such markup.
        text = ' '.join(''.join(page.plain).split())
        for m in re.finditer(r'&(?:struct|union|enum|typedef)\s+\w+|'
                             r'&[a-z_]\w*|&' + CODE + r'|%[A-Z_][A-Z0-9_]+\b',
                             text):
            context = text[max(0, m.start() - 20):m.end() + 20]
            problems.append('%s: kernel-doc markup left as text: "...%s..." '
                            '(in a .rst file: :c:type:`name`, ``literal``)'
                            % (name, context.replace(CODE, '')))

    words = set(re.findall(r'\w+', prose))
    for path in args.header:
        entry, named = header_names(path)
        for name in sorted(entry):
            if 'c.' + name not in ids:
                problems.append('%s: %s has no entry in the rendered docs '
                                '(kernel-doc comment, and a kernel-doc '
                                'directive that renders it)' % (path, name))
        for name in sorted(named - entry):
            if name not in words:
                problems.append('%s: %s is not named in the rendered docs '
                                '(outside code blocks)' % (path, name))
    for path in args.source:
        for name in sorted(exported(path)):
            if 'c.' + name not in ids:
                problems.append('%s: exported %s has no entry in the '
                                'rendered docs (.. kernel-doc:: %s, :export:)'
                                % (path, name, path))

    for p in problems:
        print('docs: ' + p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
