"""The Kubernetes CEL libraries, checked against the examples of the Kubernetes
documentation (kubernetes.io/docs/reference/using-api/cel/)."""

from __future__ import annotations

import pytest

from prcheck.checks.policy.cel.library import authz
from prcheck.checks.policy.cel.runtime import CelCompileError, Runtime


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime()


def evaluate(runtime: Runtime, source: str, **data):
    outcome = runtime.compile(source).run(runtime.activation(data))
    assert outcome.ok, outcome.error
    return outcome.value


def error_of(runtime: Runtime, source: str, **data) -> str:
    outcome = runtime.compile(source).run(runtime.activation(data))
    assert not outcome.ok, outcome.value
    return outcome.error


DOC_EXAMPLES = [
    # lists
    ("[1, 2, 3].isSorted()", True), ("[3, 1].isSorted()", False), ("['a', 'b'].isSorted()", True),
    ("[1, 2, 3].sum() == 6", True), ("[1, 2].max() == 2", True), ("[1, 2].min() == 1", True),
    # regex
    ("'abc 123'.find('[0-9]+') == '123'", True), ("'123 abc 456'.findAll('[0-9]+') == ['123', '456']", True),
    ("'123 abc 456'.findAll('[0-9]+', 1) == ['123']", True), ("'abc'.find('[0-9]+') == ''", True),
    # url
    ("url('https://example.com/path?k1=a&k2=b&k2=c#frag').getScheme() == 'https'", True),
    ("url('https://example.com:80/').getHost() == 'example.com:80'", True),
    ("url('https://example.com:80/').getHostname() == 'example.com'", True),
    ("url('https://[::1]:80/').getHostname() == '::1'", True),
    ("url('https://example.com:80/').getPort() == '80'", True), ("url('https://example.com/').getPort() == ''", True),
    ("url('https://example.com/path with spaces/').getEscapedPath() == '/path%20with%20spaces/'", True),
    ("url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}", True),
    ("isURL('https://example.com/')", True), ("isURL('example.com')", False), ("isURL('/relative/path')", True),
    # quantity
    ("quantity('1.5G').isGreaterThan(quantity('1G'))", True), ("quantity('50M').isLessThan(quantity('100M'))", True),
    ("quantity('50k').asInteger() == 50000", True), ("quantity('50k').isInteger()", True),
    ("quantity('1.5').isInteger()", False), ("quantity('50.5k').asApproximateFloat() == 50500.0", True),
    ("quantity('50k').sign() == 1", True), ("quantity('-50k').sign() == -1", True),
    ("quantity('50k').add(quantity('20k')) == quantity('70k')", True), ("quantity('50k').add(20) == quantity('50020')", True),
    ("quantity('50k').sub(quantity('20k')) == quantity('30k')", True),
    ("quantity('50k').compareTo(quantity('50000')) == 0", True), ("quantity('1Gi') == quantity('1024Mi')", True),
    ("isQuantity('1.3G')", True), ("isQuantity('1.3Gi')", True), ("isQuantity('1,3G')", False), ("isQuantity('10000k')", True),
    # ip / cidr
    ("isIP('127.0.0.1')", True), ("isIP('::1')", True), ("isIP('127.0.0.256')", False), ("isIP('::ffff:127.0.0.1')", False),
    ("ip.isCanonical('127.0.0.1')", True), ("ip.isCanonical('2001:db8::abcd')", True),
    ("ip.isCanonical('2001:DB8::ABCD')", False), ("ip('127.0.0.1').family() == 4", True), ("ip('::1').family() == 6", True),
    ("ip('0.0.0.0').isUnspecified()", True), ("ip('127.0.0.1').isLoopback()", True), ("ip('fe80::1').isLinkLocalUnicast()", True),
    ("ip('ff02::1').isLinkLocalMulticast()", True), ("ip('224.0.0.1').isLinkLocalMulticast()", True),
    ("ip('192.168.0.1').isGlobalUnicast()", True), ("ip('255.255.255.255').isGlobalUnicast()", False),
    ("isCIDR('192.168.0.0/16')", True), ("isCIDR('192.168.0.0/33')", False),
    ("cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))", True), ("cidr('192.168.0.0/24').containsIP('192.168.1.1')", False),
    ("cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))", True), ("cidr('192.168.0.0/24').containsCIDR('192.168.0.0/16')", False),
    ("cidr('192.168.0.1/24').ip() == ip('192.168.0.1')", True), ("cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')", True),
    ("cidr('192.168.0.0/16').prefixLength() == 16", True), ("cidr('::1/128').ip().family() == 6", True),
    # semver
    ("isSemver('1.0.0')", True), ("isSemver('v1.0')", False), ("isSemver('v1.0', true)", True),
    ("semver('1.0.0-alpha').isLessThan(semver('1.0.0'))", True), ("semver('1.2.3').major() == 1", True),
    ("semver('1.2.3').minor() == 2", True), ("semver('1.2.3').patch() == 3", True),
    ("semver('2.0.0').isGreaterThan(semver('1.9.9'))", True), ("semver('1.10.0').compareTo(semver('1.9.0')) == 1", True),
    ("semver('01.02.03', true) == semver('1.2.3')", True),
    # format: `validate` gives optional.none() when valid, optional.of(errors) otherwise;
    # `format.named` optional.none() for an unknown name
    ("!format.dns1123Label().validate('my-label-name').hasValue()", True),
    ("format.dns1123Label().validate('my-label-name') == optional.none()", True),
    ("format.named('dns1123Subdomain').value().validate('a.b.c') == optional.none()", True),
    ("format.dns1123Label().validate('My_Label').value().size() == 1", True),
    ("!format.labelValue().validate('').hasValue()", True),
    ("format.qualifiedName().validate('example.com/Name').orValue([]) == []", True),
    ("format.uuid().validate('not-a-uuid').value().size() > 0", True),
    ("format.named('dns1123Label').hasValue()", True), ("format.named('nope').hasValue()", False),
    ("format.named('nope') == optional.none()", True),
    # lists: indexOf / lastIndexOf (the strings extension's names, on lists)
    ("[1, 2, 3].indexOf(2) == 1", True), ("['a', 'b', 'b', 'c'].lastIndexOf('b') == 2", True),
    ("[1.0].indexOf(1.1) == -1", True), ("[].indexOf('string') == -1", True), ("[1].indexOf(true) == -1", True),
    ("'hello mellow'.indexOf('ello', 2) == 7", True), ("'hello mellow'.lastIndexOf('ello', 6) == 1", True),
    ("'hello mellow'.indexOf('jello') == -1", True),
    # string() of IPs and CIDRs
    ("string(ip('192.168.0.1')) == '192.168.0.1'", True), ("string(ip('2001:db8::68')) == '2001:db8::68'", True),
    ("string(cidr('192.168.0.0/24')) == '192.168.0.0/24'", True), ("string(cidr('2001:db8::/32')) == '2001:db8::/32'", True),
    ("string(cidr('10.0.0.0/8').ip()) + '/' + string(8) == '10.0.0.0/8'", True),
    # two-variable comprehensions (cel-go ext.TwoVarComprehensions)
    ("[1, 2, 3].all(i, v, i < v)", True), ("{'hello': 'world', 'taco': 'taco'}.all(k, v, k != v)", False),
    ("{'hello': 'world', 'taco': 'taco'}.exists(k, v, k == v)", True), ("[1, 2, 1].existsOne(i, v, v == 1)", False),
    ("[1, 2, 3].transformList(i, v, i < 2, v * v) == [1, 4]", True),
    ("[1, 2, 3].transformMap(i, v, v * v) == {0: 1, 1: 4, 2: 9}", True),
    ("{'greeting': 'hello'}.transformMap(k, v, v + '!') == {'greeting': 'hello!'}", True),
    ("{'a': 1, 'b': 2}.transformMap(k, v, v > 1, k) == {'b': 'b'}", True),
    ("{'hello': 'world'}.transformMapEntry(k, v, {v: k}) == {'world': 'hello'}", True),
    ("[1, 2].transformMapEntry(i, v, {string(v): i}) == {'1': 0, '2': 1}", True),
    # names in string literals are never rewritten
    ("'x.indexOf(1) cel.@mapInsert string(ip(' + string(1) == 'x.indexOf(1) cel.@mapInsert string(ip(1'", True),
    # extensions Kubernetes enables
    ("sets.contains([1, 2, 3], [1, 2])", True), ("sets.equivalent([1, 2], [2, 1, 1])", True),
    ("sets.intersects([1], [2])", False), ("'a,b'.split(',') == ['a', 'b']", True), ("['a', 'b'].join('-') == 'a-b'", True),
    ("'TacoCat'.lowerAscii() == 'tacocat'", True), ("{'a': 1}.?b.orValue(5) == 5", True), ("cel.bind(x, 3, x * x) == 9", True),
    ("math.greatest(1, 5, 3) == 5", True),
]


@pytest.mark.parametrize("source,expected", DOC_EXAMPLES)
def test_documented_examples(runtime: Runtime, source: str, expected: bool):
    assert evaluate(runtime, source) is expected


@pytest.mark.parametrize("source,message", [
    ("quantity('1,3G')", "quantities must match"), ("ip('127.0.0.256')", "parse error"),
    ("cidr('192.168.0.0/33')", "parse error"), ("url('example.com')", "invalid URI"),
    ("semver('1.0')", "invalid semver"), ("quantity('1.5').asInteger()", "cannot convert"),
    ("[].max()", "empty list"),
    ("{'greeting': 'aloha', 'farewell': 'aloha'}.transformMapEntry(k, v, {v: k})", "already exists"),
    ("'abc'.indexOf('b', 4)", "index out of range"), ("string({'a': 1}.transformMap(k, v, v))", "No matching overloads"),
])
def test_invalid_arguments_are_evaluation_errors(runtime: Runtime, source: str, message: str):
    assert message in error_of(runtime, source)


def test_authorizer_without_policy_denies_with_a_reason(runtime: Runtime):
    bound = {"authorizer": authz.authorizer("alice", [])}
    check = "authorizer.group('apps').resource('deployments').namespace('prod').check('create')"
    assert evaluate(runtime, check + ".allowed()", **bound) is False
    assert evaluate(runtime, check + ".reason()", **bound) == authz.NO_POLICY
    assert evaluate(runtime, "authorizer.path('/healthz').check('get').allowed()", **bound) is False


def test_authorizer_answers_from_configured_rules(runtime: Runtime):
    bound = {"authorizer": authz.authorizer("alice", [{"verb": "create", "group": "apps", "resource": "deployments"}])}
    base = "authorizer.group('apps').resource('deployments').namespace('prod')"
    assert evaluate(runtime, base + ".check('create').allowed()", **bound) is True
    assert evaluate(runtime, base + ".check('delete').allowed()", **bound) is False
    sa = "authorizer.serviceAccount('ns', 'sa').group('apps').resource('deployments').check('create').allowed()"
    rules = [{"user": "system:serviceaccount:ns:sa", "verb": "*"}]
    assert evaluate(runtime, sa, authorizer=authz.authorizer("alice", rules)) is True


def test_a_list_index_of_does_not_hide_other_compile_errors(runtime: Runtime):
    """Only the overloads prcheck adds may turn a check failure into a parse-only compile."""
    with pytest.raises(CelCompileError, match="undeclared reference to 'foo'"):
        runtime.compile("[1, 2].indexOf(1) == foo(1)")


def test_compile_errors_carry_their_position(runtime: Runtime):
    with pytest.raises(CelCompileError) as caught:
        runtime.compile("object.spec.replicas >")
    assert caught.value.line == 1 and caught.value.column > 0
    with pytest.raises(CelCompileError, match="undeclared reference"):
        runtime.compile("nosuchvariable == 1")


def test_expressions_compile_once(runtime: Runtime):
    before = runtime.compiled
    first = runtime.compile("object.metadata.name == 'unique-compile-check'")
    assert runtime.compile("object.metadata.name == 'unique-compile-check'") is first
    assert runtime.compiled == before + 1


def test_optional_selection_on_null_is_absent_as_in_cel_go(runtime: Runtime):
    """Kyverno's autogen turns `object.metadata.?annotations` into a path through a pod
    template whose `metadata: null`: cel-go reads it as absent, so must prcheck."""
    meta = {"object": {"spec": {"template": {"metadata": None}}}}
    source = "object.spec.template.metadata.?annotations[?'team'].orValue('none')"
    assert evaluate(runtime, source, **meta) == "none"
    assert evaluate(runtime, "object.spec.template.metadata[?'labels'].hasValue()", **meta) is False
    present = {"object": {"spec": {"template": {"metadata": {"annotations": {"team": "a"}}}}}}
    assert evaluate(runtime, source, **present) == "a"
