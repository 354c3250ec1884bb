"""`{{ }}` substitution and Kyverno's custom JMESPath functions."""

from __future__ import annotations

import pytest

from prcheck.checks.policy.kyverno.variables import (
    Jmes,
    NotFound,
    QueryError,
    lenient_resolver,
    strict_resolver,
    substitute,
    substitute_string,
)

CONTEXT = {
    "request": {"operation": "CREATE", "object": {
        "metadata": {"name": "web", "labels": {"app": "web", "app.kubernetes.io/name": "w"}},
        "spec": {"containers": [{"name": "a", "image": "nginx:1", "resources": {"limits": {"memory": "1Gi"}}},
                                {"name": "b", "image": "redis", "resources": {}}], "replicas": 3},
    }},
    "names": {"web": "first"},
}


def strict(text, context=CONTEXT):
    return substitute_string(text, strict_resolver(Jmes(), context))


def lenient(text, context=CONTEXT):
    return substitute_string(text, lenient_resolver(Jmes(), context))


def test_whole_string_keeps_the_type_and_interpolation_prints_json():
    assert strict("{{ request.object.spec.replicas }}") == 3
    assert strict("{{ request.object.spec.containers[].name }}") == ["a", "b"]
    assert strict("n={{ request.object.spec.containers[].name }}") == 'n=["a","b"]'
    assert strict("{{request.object.metadata.name}}-{{ request.object.spec.replicas }}") == "web-3"


def test_quoted_keys_nested_variables_and_escapes():
    assert strict('{{ request.object.metadata.labels."app.kubernetes.io/name" }}') == "w"
    assert strict('{{ names."{{ request.object.metadata.name }}" }}') == "first"
    assert strict(r"\{{ not.a.variable }}") == "{{ not.a.variable }}"


def test_missing_key_is_an_error_but_defaults_and_filters_are_null():
    with pytest.raises(QueryError):
        strict("{{ request.object.metadata.labels.team }}")
    assert strict("{{ request.object.metadata.labels.team || 'none' }}") == "none"
    assert strict("{{ request.object.spec.containers[?name=='z'] }}") == []
    assert strict("{{ request.object.spec.volumes[].name }}") is None


def test_conditions_resolve_failures_to_empty_strings():
    assert lenient("{{ request.object.metadata.labels.team }}") == ""
    assert lenient("x-{{ request.object.nothing }}") == "x-"


def test_documents_are_substituted_in_keys_and_values():
    doc = {"{{ request.object.metadata.name }}": ["{{ request.object.spec.replicas }}", "plain", 1]}
    assert substitute(doc, strict_resolver(Jmes(), CONTEXT)) == {"web": [3, "plain", 1]}


def test_delete_requests_read_the_old_object():
    context = {"request": {"operation": "DELETE", "oldObject": {"metadata": {"name": "gone"}}}}
    assert strict("{{ request.object.metadata.name }}", context) == "gone"


def test_not_found_names_the_key():
    with pytest.raises(NotFound, match='Unknown key "team"'):
        Jmes().search("request.object.metadata.labels.team", CONTEXT)


@pytest.mark.parametrize(("expression", "expected"), [
    ("to_upper('abc')", "ABC"),
    ("to_lower('ABC')", "abc"),
    ("split('a/b/c', '/')", ["a", "b", "c"]),
    ("regex_match('^nginx:[0-9]+$', 'nginx:12')", True),
    ("regex_match('^[0-9]+$', `123`)", True),
    ("regex_replace_all('([a-z]+):(.*)', 'nginx:1', '$2-${1}')", "1-nginx"),
    ("regex_replace_all_literal('[0-9]', 'a1b2', 'x')", "axbx"),
    ("pattern_match('nginx*', 'nginx:1')", True),
    ("label_match(`{\"app\": \"web\"}`, `{\"app\": \"web\", \"x\": \"y\"}`)", True),
    ("label_match(`{\"app\": \"db\"}`, `{\"app\": \"web\"}`)", False),
    ("add(`1`, `2`)", 3),
    ("add('1Gi', '512Mi')", "1536Mi"),
    ("subtract('1h', '30m')", "30m0s"),  # '30m' is a duration next to a duration
    ("add('1', '30m')", "1030m"),  # and a quantity next to a quantity
    ("multiply('250m', `4`)", "1"),
    ("divide('1Gi', '512Mi')", 2.0),
    ("divide(`10`, `4`)", 2.5),
    ("modulo(`7`, `3`)", 1.0),
    ("round(`2.567`, `2`)", 2.57),
    ("sum(['1Gi', '1Gi'])", "2Gi"),
    ("compare('a', 'b')", -1),
    ("equal_fold('ABC', 'abc')", True),
    ("replace_all('a.b.c', '.', '-')", "a-b-c"),
    ("replace('aaa', 'a', 'b', `2`)", "bba"),
    ("trim('--x--', '-')", "x"),
    ("trim_prefix('v1.2', 'v')", "1.2"),
    ("truncate('abcdef', `3`)", "abc"),
    ("base64_decode('aGVsbG8=')", "hello"),
    ("base64_encode('hello')", "aGVsbG8="),
    ("parse_json('{\"a\": [1]}')", {"a": [1]}),
    ("parse_yaml('a: [1, 2]')", {"a": [1, 2]}),
    ("lookup(`{\"a\": 1}`, 'a')", 1),
    ("lookup(`[5, 6]`, `1`)", 6),
    ("items(`{\"b\": 2, \"a\": 1}`, 'k', 'v')", [{"k": "a", "v": 1}, {"k": "b", "v": 2}]),
    ("object_from_lists(['a', 'b'], [`1`, `2`])", {"a": 1, "b": 2}),
    ("semver_compare('1.2.3', '>1.0.0 <2.0.0')", True),
    ("semver_compare('2.1.0', '>=1.0.0 <2.0.0 || >=3.0.0')", False),
    ("time_since('', '2024-01-01T00:00:00Z', '2024-01-01T01:30:00Z')", "1h30m0s"),
    ("time_diff('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')", "24h0m0s"),
    ("time_before('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z')", True),
    ("time_add('2024-01-01T00:00:00Z', '1h')", "2024-01-01T01:00:00Z"),
    ("time_parse('2006-01-02', '2024-03-05')", "2024-03-05T00:00:00Z"),
    ("time_to_cron('2024-03-05T10:15:00Z')", "15 10 5 3 2"),
    ("path_canonicalize('/a/../b//c/')", "/b/c"),
    ("image_normalize('nginx')", "docker.io/nginx:latest"),
    ("to_string(`3`)", "3"),
    ("to_string(`{\"b\": 1, \"a\": [1.5]}`)", '{"a":[1.5],"b":1}'),
])
def test_functions(expression, expected):
    assert Jmes().search(expression, {}) == expected


def test_function_errors_are_query_errors():
    with pytest.raises(QueryError):
        Jmes().search("divide(`1`, `0`)", {})
    with pytest.raises(QueryError):
        Jmes().search("to_upper(`1`)", {})


@pytest.mark.parametrize(("expression", "expected"), [
    ("from_items(`[[\"a\", 1]]`)", {"a": 1}),
    ("zip(`[1, 2]`, `[3, 4]`)", [[1, 3], [2, 4]]),
    ("group_by(`[{\"k\": \"a\"}, {\"k\": \"b\"}, {\"k\": \"a\"}]`, &k).a | length(@)", 2),
    ("pad_left('7', `3`, '0')", "007"),
    ("trim_left('  x')", "x"),
    ("find_last('abcb', 'b')", 3),
])
def test_community_functions(expression, expected):
    assert Jmes().search(expression, {}) == expected


def test_x509_decode_reads_go_field_names():
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "web.example")])
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("web.example")]), critical=False)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    decoded = Jmes().search("x509_decode(pem).[Subject.CommonName, NotAfter, DNSNames, IsCA]", {"pem": pem})
    assert decoded == ["web.example", "2024-01-31T00:00:00Z", ["web.example"], False]
