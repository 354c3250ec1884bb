/* prcheck.sources._fastyaml: ordinary Kubernetes YAML straight to objects and line trees.
 *
 * PyYAML's composer makes a Python node and two marks per YAML node and calls the resolver
 * for each; the loader then walks those nodes to build objects and keeps them for lines.
 * Here one pass over libyaml's events builds both what the loader keeps: the object (dicts,
 * lists, str/int/bool/None) and a tree of `LineNode`s (id, value, line, style: what the line
 * walkers read of a node).
 *
 * It only does what it can do exactly. `load` answers None -- and the caller loads the text
 * the general way, which then decides every finding -- for a text with a syntax error
 * anywhere, an anchor, an alias, a tag, a key that is not a plain string, a merge key, a
 * repeated key, nesting at the depth limit, or a scalar the Python resolver refuses.
 * Scalars whose text could be something other than a string (a plain scalar starting with a
 * digit, a sign or a dot) are resolved by the Python function the caller passes, so the
 * rules for numbers live in one place; words (booleans, null) and strings are decided here.
 *
 * No recursion: open collections live on an explicit stack, bounded by the depth limit.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <string.h>

#include "yaml.h"

/* ---------------------------------------------------------------- LineNode */

typedef struct {
    PyObject_HEAD
    PyObject *id;    /* "scalar", "mapping" or "sequence" */
    PyObject *value; /* a scalar's text; a mapping's [(key, value)]; a sequence's [node] */
    PyObject *style; /* a scalar's: "", "'", '"', "|", ">"; None for collections */
    Py_ssize_t line; /* 0-based, as a yaml Mark's */
} LineNode;

static PyTypeObject LineNodeType;

static int
LineNode_traverse(LineNode *self, visitproc visit, void *arg)
{
    Py_VISIT(self->id);
    Py_VISIT(self->value);
    Py_VISIT(self->style);
    return 0;
}

static int
LineNode_clear(LineNode *self)
{
    Py_CLEAR(self->id);
    Py_CLEAR(self->value);
    Py_CLEAR(self->style);
    return 0;
}

static void
LineNode_dealloc(LineNode *self)
{
    PyObject_GC_UnTrack(self);
    Py_TRASHCAN_BEGIN(self, LineNode_dealloc)
    LineNode_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
    Py_TRASHCAN_END
}

/* A new node; steals no reference. */
static PyObject *
linenode_new(PyObject *id, PyObject *value, Py_ssize_t line, PyObject *style)
{
    LineNode *self = PyObject_GC_New(LineNode, &LineNodeType);
    if (self == NULL)
        return NULL;
    Py_INCREF(id);
    self->id = id;
    Py_INCREF(value);
    self->value = value;
    Py_INCREF(style);
    self->style = style;
    self->line = line;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static PyObject *
LineNode_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"id", "value", "line", "style", NULL};
    PyObject *id, *value, *style;
    Py_ssize_t line;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOnO:LineNode", kwlist, &id, &value, &line, &style))
        return NULL;
    return linenode_new(id, value, line, style);
}

static PyObject *
LineNode_start_mark(PyObject *self, void *closure)
{
    Py_INCREF(self);
    return self;
}

static PyObject *
LineNode_reduce(LineNode *self, PyObject *unused)
{
    return Py_BuildValue("O(OOnO)", (PyObject *)Py_TYPE(self), self->id, self->value, self->line, self->style);
}

static PyObject *
LineNode_repr(LineNode *self)
{
    return PyUnicode_FromFormat("LineNode(%R, line=%zd, style=%R)", self->id, self->line, self->style);
}

static PyMemberDef LineNode_members[] = {
    {"id", T_OBJECT, offsetof(LineNode, id), 0, NULL},
    {"value", T_OBJECT, offsetof(LineNode, value), 0, NULL},
    {"style", T_OBJECT, offsetof(LineNode, style), 0, NULL},
    {"line", T_PYSSIZET, offsetof(LineNode, line), 0, NULL},
    {NULL},
};

static PyGetSetDef LineNode_getset[] = {
    {"start_mark", LineNode_start_mark, NULL, "the node itself: `line` is its mark's line", NULL},
    {NULL},
};

static PyMethodDef LineNode_methods[] = {
    {"__reduce__", (PyCFunction)LineNode_reduce, METH_NOARGS, NULL},
    {NULL},
};

static PyTypeObject LineNodeType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "prcheck.sources._fastyaml.LineNode",
    .tp_doc = "Quacks like a yaml.Node for line lookups; `start_mark` is the node itself (0-based `line`).",
    .tp_basicsize = sizeof(LineNode),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = LineNode_tp_new,
    .tp_dealloc = (destructor)LineNode_dealloc,
    .tp_traverse = (traverseproc)LineNode_traverse,
    .tp_clear = (inquiry)LineNode_clear,
    .tp_repr = (reprfunc)LineNode_repr,
    .tp_members = LineNode_members,
    .tp_getset = LineNode_getset,
    .tp_methods = LineNode_methods,
};

/* ---------------------------------------------------------------- constants */

static PyObject *s_scalar, *s_mapping, *s_sequence;
static PyObject *style_plain, *style_single, *style_double, *style_literal, *style_folded;

/* ---------------------------------------------------------------- loading */

/* The result of one step: go on, give up (the caller takes the general path), or a Python error. */
enum { OK = 0, UNUSUAL = 1, FAILED = -1 };

typedef struct {
    PyObject *obj;      /* dict or list */
    PyObject *node;     /* its LineNode */
    PyObject *children; /* the LineNode's value list (borrowed from node) */
    PyObject *key;      /* a mapping's pending key (str), NULL when the next scalar is a key */
    PyObject *key_node;
    Py_ssize_t pairs;
    int mapping;
} Frame;

typedef struct {
    Frame *frames;
    Py_ssize_t depth;    /* open collections */
    Py_ssize_t capacity;
    Py_ssize_t max_depth;
    PyObject *resolve;   /* Python: the value of a plain scalar starting with a digit, sign or dot */
    PyObject *root;      /* the finished root object and node of the current document */
    PyObject *root_node;
} Builder;

static void
frame_clear(Frame *f)
{
    Py_CLEAR(f->obj);
    Py_CLEAR(f->node);
    Py_CLEAR(f->key);
    Py_CLEAR(f->key_node);
}

static int
is_word(const char *text, size_t length, const char *words)
{
    /* `words`: space-separated */
    const char *w = words;
    while (*w) {
        const char *end = strchr(w, ' ');
        size_t n = end ? (size_t)(end - w) : strlen(w);
        if (n == length && memcmp(w, text, n) == 0)
            return 1;
        if (!end)
            break;
        w = end + 1;
    }
    return 0;
}

/* Is `text` a decimal integer that both Go and Python read the same way, and that fits int64
 * without a second thought: [-+]?(0|[1-9][0-9]{0,17})? */
static int
is_small_decimal(const char *text, size_t length)
{
    size_t i = 0;
    if (length && (text[0] == '-' || text[0] == '+'))
        i = 1;
    if (i == length)
        return 0;
    if (text[i] == '0')
        return i + 1 == length;
    if (length - i > 18)
        return 0;
    for (; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
    }
    return 1;
}

/* Whether every character of `text` may occur in a text Go reads as a number: digits, hex
 * digits, the base prefixes' x/o/b, the exponent's e, signs, the dot and `_` (which the
 * resolver removes). A text with any other character is no number. */
static int
number_alphabet(const char *text, size_t length)
{
    size_t i;
    for (i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == 'x' || c == 'X'
              || c == 'o' || c == 'O' || c == '_' || c == '.' || c == '+' || c == '-'))
            return 0;
    }
    return 1;
}

/* The value of an untagged scalar; *value is a new reference, *text_obj the text (new ref). */
static int
scalar_value(Builder *b, yaml_event_t *event, int is_key, PyObject **value, PyObject **text_obj)
{
    const char *text = (const char *)event->data.scalar.value;
    size_t length = event->data.scalar.length;
    PyObject *str;
    *value = NULL;
    *text_obj = NULL;
    str = PyUnicode_DecodeUTF8(text, (Py_ssize_t)length, "strict");
    if (str == NULL)
        return PyErr_ExceptionMatches(PyExc_UnicodeDecodeError) ? (PyErr_Clear(), UNUSUAL) : FAILED;
    if (is_key)
        PyUnicode_InternInPlace(&str);
    *text_obj = str;
    if (!event->data.scalar.plain_implicit) { /* quoted or block: always a string */
        Py_INCREF(str);
        *value = str;
        return OK;
    }
    if (length == 0) {
        if (is_key)
            return UNUSUAL; /* a null key */
        Py_INCREF(Py_None);
        *value = Py_None;
        return OK;
    }
    switch (text[0]) {
    case 'y': case 'Y': case 'n': case 'N': case 't': case 'T':
    case 'f': case 'F': case 'o': case 'O': case '~': case '<':
        if (is_word(text, length, "y Y yes Yes YES true True TRUE on On ON"))
            *value = Py_True;
        else if (is_word(text, length, "n N no No NO false False FALSE off Off OFF"))
            *value = Py_False;
        else if (is_word(text, length, "~ null Null NULL"))
            *value = Py_None;
        else if (is_key && length == 2 && text[0] == '<' && text[1] == '<')
            return UNUSUAL; /* a merge key */
        else
            *value = str; /* the merge word as a value is its text */
        if (is_key && *value != str) {
            *value = NULL;
            return UNUSUAL;
        }
        Py_INCREF(*value);
        return OK;
    case '.': case '+': case '-': case '0': case '1': case '2': case '3':
    case '4': case '5': case '6': case '7': case '8': case '9':
        if (is_small_decimal(text, length)) {
            if (is_key)
                return UNUSUAL;
            *value = PyLong_FromString(text, NULL, 10); /* the text ends at `length`: libyaml ends it with NUL */
            if (*value == NULL)
                return PyErr_ExceptionMatches(PyExc_ValueError) ? (PyErr_Clear(), UNUSUAL) : FAILED;
            return OK;
        }
        if (!is_word(text, length, ".nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF")
            && !number_alphabet(text, length)) {
            /* no integer or float pattern can match it (`250m`, `512Mi`, `1.2.3-rc`): a string */
            Py_INCREF(str);
            *value = str;
            return OK;
        }
        *value = PyObject_CallOneArg(b->resolve, str);
        if (*value == NULL)
            return PyErr_ExceptionMatches(PyExc_Exception) ? (PyErr_Clear(), UNUSUAL) : FAILED;
        if (is_key && !PyUnicode_CheckExact(*value)) {
            Py_CLEAR(*value);
            return UNUSUAL;
        }
        return OK;
    default:
        Py_INCREF(str);
        *value = str;
        return OK;
    }
}

static PyObject *
style_of(yaml_scalar_style_t style)
{
    switch (style) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: return style_single;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return style_double;
    case YAML_LITERAL_SCALAR_STYLE: return style_literal;
    case YAML_FOLDED_SCALAR_STYLE: return style_folded;
    default: return style_plain;
    }
}

/* A finished value (object + node, both stolen) goes into the open collection, or is the root. */
static int
add_value(Builder *b, PyObject *obj, PyObject *node)
{
    Frame *f;
    int rc = FAILED;
    if (b->depth == 0) {
        b->root = obj;
        b->root_node = node;
        return OK;
    }
    f = &b->frames[b->depth - 1];
    if (f->mapping) {
        PyObject *pair;
        if (PyDict_SetItem(f->obj, f->key, obj) < 0)
            goto done;
        pair = PyTuple_Pack(2, f->key_node, node);
        if (pair == NULL)
            goto done;
        if (PyList_Append(f->children, pair) < 0) {
            Py_DECREF(pair);
            goto done;
        }
        Py_DECREF(pair);
        Py_CLEAR(f->key);
        Py_CLEAR(f->key_node);
        f->pairs++;
    } else {
        if (PyList_Append(f->obj, obj) < 0 || PyList_Append(f->children, node) < 0)
            goto done;
    }
    rc = OK;
done:
    Py_DECREF(obj);
    Py_DECREF(node);
    return rc;
}

static int
on_scalar(Builder *b, yaml_event_t *event)
{
    PyObject *value, *text, *node;
    Frame *f = b->depth ? &b->frames[b->depth - 1] : NULL;
    int is_key = f != NULL && f->mapping && f->key == NULL;
    int rc;
    if (event->data.scalar.anchor != NULL || event->data.scalar.tag != NULL)
        return UNUSUAL;
    if (b->depth == 0 && b->max_depth <= 1)
        return UNUSUAL;
    rc = scalar_value(b, event, is_key, &value, &text);
    if (rc != OK) {
        Py_XDECREF(text);
        return rc;
    }
    node = linenode_new(s_scalar, text, (Py_ssize_t)event->start_mark.line, style_of(event->data.scalar.style));
    Py_DECREF(text);
    if (node == NULL) {
        Py_DECREF(value);
        return FAILED;
    }
    if (is_key) {
        f->key = value;
        f->key_node = node;
        return OK;
    }
    return add_value(b, value, node);
}

static int
on_collection_start(Builder *b, yaml_event_t *event, int mapping)
{
    Frame *f;
    PyObject *children;
    if (mapping ? (event->data.mapping_start.anchor != NULL || event->data.mapping_start.tag != NULL)
                : (event->data.sequence_start.anchor != NULL || event->data.sequence_start.tag != NULL))
        return UNUSUAL;
    if (b->depth && b->frames[b->depth - 1].mapping && b->frames[b->depth - 1].key == NULL)
        return UNUSUAL; /* a collection as a mapping key */
    if (b->depth + 1 >= b->max_depth)
        return UNUSUAL; /* near the limit: the general path says what is too deep */
    if (b->depth == b->capacity) {
        Py_ssize_t capacity = b->capacity ? b->capacity * 2 : 16;
        Frame *frames = PyMem_Realloc(b->frames, (size_t)capacity * sizeof(Frame));
        if (frames == NULL) {
            PyErr_NoMemory();
            return FAILED;
        }
        b->frames = frames;
        b->capacity = capacity;
    }
    f = &b->frames[b->depth];
    memset(f, 0, sizeof(Frame));
    f->mapping = mapping;
    f->obj = mapping ? PyDict_New() : PyList_New(0);
    if (f->obj == NULL)
        return FAILED;
    children = PyList_New(0);
    if (children == NULL) {
        Py_CLEAR(f->obj);
        return FAILED;
    }
    f->node = linenode_new(mapping ? s_mapping : s_sequence, children, (Py_ssize_t)event->start_mark.line, Py_None);
    f->children = children;
    Py_DECREF(children); /* the node holds it */
    if (f->node == NULL) {
        Py_CLEAR(f->obj);
        return FAILED;
    }
    b->depth++;
    return OK;
}

static int
on_collection_end(Builder *b)
{
    Frame *f = &b->frames[b->depth - 1];
    PyObject *obj = f->obj, *node = f->node;
    if (f->mapping && PyDict_GET_SIZE(obj) != f->pairs)
        return UNUSUAL; /* a repeated key: the general path reports it */
    f->obj = NULL;
    f->node = NULL;
    b->depth--;
    return add_value(b, obj, node);
}

static void
builder_clear(Builder *b)
{
    while (b->depth > 0)
        frame_clear(&b->frames[--b->depth]);
    Py_CLEAR(b->root);
    Py_CLEAR(b->root_node);
}

/* The text's documents as [(line, object, node)], or None (see the top of this file). */
static PyObject *
fastyaml_load(PyObject *module, PyObject *args)
{
    PyObject *text, *resolve, *utf8 = NULL, *docs = NULL, *result = NULL;
    Py_ssize_t max_depth;
    const char *data;
    Py_ssize_t size;
    yaml_parser_t parser;
    yaml_event_t event;
    Builder b;
    int rc = OK, done = 0;

    if (!PyArg_ParseTuple(args, "UnO:load", &text, &max_depth, &resolve))
        return NULL;
    if (PyUnicode_READY(text) < 0)
        return NULL;
    if (PyUnicode_IS_ASCII(text)) { /* its UTF-8 is its own data: no copy */
        data = PyUnicode_AsUTF8AndSize(text, &size);
        if (data == NULL)
            return NULL;
    } else {
        utf8 = PyUnicode_AsUTF8String(text);
        if (utf8 == NULL) { /* lone surrogates: the general path says what is wrong */
            if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
                return NULL;
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        data = PyBytes_AS_STRING(utf8);
        size = PyBytes_GET_SIZE(utf8);
    }
    docs = PyList_New(0);
    if (docs == NULL) {
        Py_XDECREF(utf8);
        return NULL;
    }
    memset(&b, 0, sizeof(b));
    b.max_depth = max_depth;
    b.resolve = resolve;
    if (!yaml_parser_initialize(&parser)) {
        Py_DECREF(docs);
        Py_XDECREF(utf8);
        return PyErr_NoMemory();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, (size_t)size);

    while (!done && rc == OK) {
        if (!yaml_parser_parse(&parser, &event)) {
            if (parser.error == YAML_MEMORY_ERROR) {
                PyErr_NoMemory();
                rc = FAILED;
            } else {
                rc = UNUSUAL; /* a syntax error: the general path reports it */
            }
            break;
        }
        switch (event.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_SCALAR_EVENT:
            rc = on_scalar(&b, &event);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = on_collection_start(&b, &event, 0);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = on_collection_start(&b, &event, 1);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = on_collection_end(&b);
            break;
        case YAML_DOCUMENT_END_EVENT:
            if (b.root == NULL) {
                rc = UNUSUAL; /* cannot happen: libyaml always gives a document a node */
            } else {
                PyObject *item = Py_BuildValue("(nOO)", ((LineNode *)b.root_node)->line, b.root, b.root_node);
                Py_CLEAR(b.root);
                Py_CLEAR(b.root_node);
                if (item == NULL || PyList_Append(docs, item) < 0)
                    rc = FAILED;
                Py_XDECREF(item);
            }
            break;
        case YAML_ALIAS_EVENT:
            rc = UNUSUAL;
            break;
        default: /* stream and document starts */
            break;
        }
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    builder_clear(&b);
    PyMem_Free(b.frames);
    Py_XDECREF(utf8);
    if (rc == OK) {
        result = docs;
    } else {
        Py_DECREF(docs);
        if (rc == UNUSUAL) {
            Py_INCREF(Py_None);
            result = Py_None;
        }
    }
    return result;
}

/* How deep the text nests: (depth, document index, its first line) of the first document that
 * opens more than `limit` collections, or None when none does (up to a syntax error, if any).
 * libyaml's parser keeps its own stacks on the heap, so this cannot overflow; PyYAML's
 * composer recurses in C once per level and overflows the stack some ten thousand levels down. */
static PyObject *
fastyaml_nesting(PyObject *module, PyObject *args)
{
    PyObject *text, *utf8 = NULL, *result = NULL;
    Py_ssize_t limit, depth = 0, index = -1, line = 0;
    yaml_parser_t parser;
    yaml_event_t event;
    int done = 0;

    if (!PyArg_ParseTuple(args, "Un:nesting", &text, &limit))
        return NULL;
    utf8 = PyUnicode_AsUTF8String(text);
    if (utf8 == NULL)
        return NULL;
    if (!yaml_parser_initialize(&parser)) {
        Py_DECREF(utf8);
        return PyErr_NoMemory();
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)PyBytes_AS_STRING(utf8),
                                 (size_t)PyBytes_GET_SIZE(utf8));
    while (!done) {
        if (!yaml_parser_parse(&parser, &event)) {
            if (parser.error == YAML_MEMORY_ERROR)
                PyErr_NoMemory();
            break;
        }
        switch (event.type) {
        case YAML_DOCUMENT_START_EVENT:
            index++;
            line = -1;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (line < 0)
                line = (Py_ssize_t)event.start_mark.line;
            if (++depth > limit) {
                result = Py_BuildValue("(nnn)", depth, index, line);
                done = 1;
            }
            break;
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            if (line < 0)
                line = (Py_ssize_t)event.start_mark.line;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    Py_DECREF(utf8);
    if (result == NULL && !PyErr_Occurred()) {
        Py_INCREF(Py_None);
        result = Py_None;
    }
    return result;
}

static PyMethodDef fastyaml_methods[] = {
    {"nesting", fastyaml_nesting, METH_VARARGS,
     "nesting(text, limit) -> (depth, document index, 0-based line) | None\n\n"
     "The first document that nests deeper than `limit`, found without composing any node."},
    {"load", fastyaml_load, METH_VARARGS,
     "load(text, max_depth, resolve) -> [(line, object, LineNode)] | None\n\n"
     "The documents of an ordinary text; None when the general loader must decide."},
    {NULL},
};

static struct PyModuleDef fastyaml_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "prcheck.sources._fastyaml",
    .m_doc = "Ordinary Kubernetes YAML to objects and line trees in one pass over libyaml's events.",
    .m_size = -1,
    .m_methods = fastyaml_methods,
};

static PyObject *
intern(const char *text)
{
    return PyUnicode_InternFromString(text);
}

PyMODINIT_FUNC
PyInit__fastyaml(void)
{
    PyObject *m;
    if (PyType_Ready(&LineNodeType) < 0)
        return NULL;
    if (!(s_scalar = intern("scalar")) || !(s_mapping = intern("mapping")) || !(s_sequence = intern("sequence"))
        || !(style_plain = intern("")) || !(style_single = intern("'")) || !(style_double = intern("\""))
        || !(style_literal = intern("|")) || !(style_folded = intern(">")))
        return NULL;
    m = PyModule_Create(&fastyaml_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&LineNodeType);
    if (PyModule_AddObject(m, "LineNode", (PyObject *)&LineNodeType) < 0) {
        Py_DECREF(&LineNodeType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "LIBYAML_VERSION", yaml_get_version_string()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
