"""Rules the loader enforces while parsing; listed here so `prcheck rules` shows them."""

from prcheck.checks.lint.rule import LintRule

PARSER_RULES = [
    LintRule("yaml/syntax", "error", "YAML syntax error", "The file is not valid YAML; documents after the error are not checked."),
    LintRule("yaml/tab-indentation", "error", "tab used for indentation", "YAML allows only spaces for indentation."),
    LintRule("yaml/duplicate-key", "error", "duplicate mapping key", "YAML keeps only the last value of a repeated key, silently."),
    LintRule("yaml/alias-bomb", "error", "alias expansion too large", "Aliases expand the document past the node limit (a 'billion laughs' file)."),
    LintRule("yaml/not-json", "error", "value JSON cannot carry", "Kubernetes decodes YAML into JSON: a null or non-scalar mapping key, .inf or .nan make it refuse the document."),
    LintRule("yaml/ignored-tag", "warning", "value read as a YAML tag", "A plain value starting with '!' is a tag; Kubernetes ignores it, so the value loses that text."),
    LintRule("yaml/too-deep", "error", "nesting too deep", "The document nests deeper than the depth limit."),
    LintRule("yaml/file-too-large", "error", "file too large", "The file is over the size limit and is not read."),
    LintRule("yaml/binary-file", "error", "binary file", "The file holds NUL bytes; it is not YAML."),
    LintRule("yaml/invalid-utf8", "error", "invalid UTF-8", "YAML files must be UTF-8."),
    LintRule("path/symlink-outside-repo", "error", "symlink leaves the repository", "The file is a link to a path outside the repository; it is not read."),
]
