import assert from 'node:assert/strict'
import { parsePrometheusText } from '../../e2e/prometheus-text.ts'

/** The strict exposition parser the end-to-end tests use: it must refuse what Prometheus refuses. */
describe('the test suite\'s Prometheus text parser', () => {
  const good = [
    '# HELP a_total things, with a \\\\ backslash',
    '# TYPE a_total counter',
    'a_total{code="x\\"y",b="1"} 3',
    '# TYPE h histogram',
    'h_bucket{le="0.5"} 1',
    'h_bucket{le="+Inf"} 2',
    'h_sum 0.7',
    'h_count 2',
    '# TYPE g gauge',
    'g NaN',
    'g{x="1"} -1.5e3 1700000000000',
    ''
  ].join('\n')

  it('reads families, labels and values', () => {
    const f = parsePrometheusText(good)
    assert.deepEqual([...f.keys()], ['a_total', 'h', 'g'])
    assert.deepEqual(f.get('a_total')?.samples, [{ name: 'a_total', labels: { code: 'x"y', b: '1' }, value: 3 }])
    assert.equal(f.get('h')?.samples.length, 4)
    assert.equal(f.get('g')?.samples[1]?.value, -1500)
  })

  it('refuses each kind of malformed exposition', () => {
    const bad: Array<[string, RegExp]> = [
      [good.slice(0, -1), /end with a newline/],
      ['x 1\n', /without a TYPE/],
      ['# TYPE x gauge\nx 1\nx 2\n', /duplicate series/],
      ['# TYPE x gauge\nx{a="1",a="2"} 1\n', /label a twice/],
      ['# TYPE x gauge\nx{1a="1"} 1\n', /bad label name/],
      ['# TYPE x gauge\nx{a="1} 1\n', /bad labels|not a sample/],
      ['# TYPE x gauge\nx one\n', /bad value/],
      ['# TYPE x widget\n', /unknown type/],
      ['# TYPE x counter\nx -1\n', /negative counter/],
      ['# TYPE x gauge\nx 1\n# TYPE x gauge\n', /second TYPE/],
      ['# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n', /not increasing and cumulative/],
      ['# TYPE h histogram\nh_bucket{le="1"} 2\nh_count 2\n', /no \+Inf bucket/],
      ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n', /!= _count/],
      ['# TYPE g gauge\ng_sum 1\n', /without a TYPE|belongs to no histogram/]
    ]
    for (const [text, pattern] of bad) assert.throws(() => parsePrometheusText(text), pattern, text)
  })
})
