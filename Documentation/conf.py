# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of axas's documentation: `make docs` (scripts/docs.sh)
# builds it with the kernel-doc extension of the kernel tree in AXAS_KSRC.

import os
import sys

ksrc = os.environ.get('AXAS_KSRC')
if not ksrc:
    sys.exit('Documentation/conf.py: AXAS_KSRC is not set; run "make docs"')
sys.path.insert(0, os.path.join(ksrc, 'Documentation', 'sphinx'))

project = 'axas'
copyright = 'The axas authors'
master_doc = 'index'
exclude_patterns = []

# kerneldoc: the kernel-doc directive. automarkup: func() and struct foo
# become cross-references, as in the kernel's own documentation.
extensions = ['kerneldoc', 'automarkup']

# Directives name files relative to the top of the repository.
kerneldoc_bin = os.path.join(ksrc, 'scripts', 'kernel-doc')
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))

primary_domain = 'c'
highlight_language = 'none'
html_theme = 'alabaster'
html_show_sourcelink = False
