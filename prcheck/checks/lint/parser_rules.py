"""Rules the loader enforces while parsing; listed here so `prcheck rules` shows them."""

from prcheck.checks.lint.rule import LintRule

PARSER_RULES = [
    LintRule("yaml/syntax", "error", "YAML syntax error", "The file is not valid YAML; documents after the error are not checked."),
    LintRule("yaml/tab-indentation", "error", "Tab used for indentation", "YAML allows only spaces for indentation."),
    LintRule("yaml/duplicate-key", "error", "Duplicate mapping key", "YAML keeps only the last value of a repeated key, silently."),
    LintRule("yaml/alias-bomb", "error", "Alias expansion too large", "Aliases expand the document past the node limit (a 'billion laughs' file)."),
    LintRule("yaml/not-json", "error", "Value JSON cannot carry", "Kubernetes decodes YAML into JSON: a null or non-scalar mapping key, .inf or .nan make it refuse the document."),
    LintRule("yaml/ignored-tag", "warning", "Value read as a YAML tag", "A plain value starting with '!' is a tag; Kubernetes ignores it, so the value loses that text."),
    LintRule("yaml/too-deep", "error", "Nesting too deep", "The document nests deeper than the depth limit."),
    LintRule("yaml/file-too-large", "error", "File too large", "The file is over the size limit and is not read."),
    LintRule("yaml/binary-file", "error", "Binary file", "The file holds NUL bytes; it is not YAML."),
    LintRule("yaml/invalid-utf8", "error", "Invalid UTF-8", "YAML files must be UTF-8."),
    LintRule("path/symlink-outside-repo", "error", "Symlink leaves the repository", "The file is a link to a path outside the repository; it is not read."),
]
