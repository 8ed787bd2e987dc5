import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { compileTemplate, type RenderContext, trialRender } from './render.js';

const ctx = (attributes: Record<string, unknown> = {}): RenderContext => ({
  profile: { id: 'prf_1', phone: '+14155550100', consent: 'subscribed', attributes },
  sandbox: { name: 'default' },
  campaign: { id: 'cmp_1', name: 'Spring sale' },
});
const compile = (body: string) =>
  compileTemplate({ body, messageType: 'marketing', dltTemplateText: null });

function parseProblems(body: string) {
  try {
    compile(body);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).details;
  }
  throw new Error(`expected ${body} not to parse`);
}

describe('compileTemplate', () => {
  it('renders the profile, sandbox and campaign, and defaults', () => {
    const t = compile(
      'Hi {{ profile.attributes.firstName | default: "there" }} from {{ sandbox.name }}: {{ campaign.name }}',
    );
    expect(t.render(ctx({ firstName: 'Ann' }))).toEqual({
      ok: true,
      text: 'Hi Ann from default: Spring sale',
    });
    expect(t.render(ctx())).toEqual({ ok: true, text: 'Hi there from default: Spring sale' });
  });

  it('names a missing variable, its line and column', () => {
    const r = compile('Hi\n{{ profile.attributes.lastName }}').render(ctx());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      expect.objectContaining({
        path: '/body',
        line: 2,
        column: 4,
        variable: 'profile.attributes.lastName',
      }),
    ]);
  });

  it('treats a missing campaign as an unset variable', () => {
    const r = compile('{{ campaign.name }}').render({ ...ctx(), campaign: null });
    expect(r.ok).toBe(false);
  });

  it('lets if test an unset attribute', () => {
    const t = compile('{% if profile.attributes.vip %}VIP {% endif %}hello');
    expect(t.render(ctx())).toEqual({ ok: true, text: 'hello' });
    expect(t.render(ctx({ vip: true }))).toEqual({ ok: true, text: 'VIP hello' });
  });

  it('refuses an unknown filter, a broken tag and file tags at parse, naming the line', () => {
    const [filter] = parseProblems('a\n{{ profile.phone | shout }}');
    expect(filter).toMatchObject({ path: '/body', line: 2, column: 1 });
    expect(filter?.message).toBe('line 2, column 1: unknown filter "shout"');
    expect(parseProblems('a\nb {% if %}')[0]).toMatchObject({ path: '/body', line: 2 });
    expect(parseProblems('{% include "secret" %}')[0]?.message).toContain('unknown tag "include"');
    expect(parseProblems('{% render "x" %}')[0]?.message).toContain('unknown tag "render"');
    expect(parseProblems('{% layout "x" %}')[0]?.message).toContain('unknown tag "layout"');
    expect(parseProblems('{{ unclosed }')[0]).toMatchObject({ line: 1 });
  });

  it('reads own properties only', () => {
    const r = compile('{{ profile.attributes.constructor }}').render(ctx());
    expect(r.ok).toBe(false);
  });

  it('trial render prints nothing for unset variables', () => {
    expect(trialRender('Hi {{ profile.attributes.firstName }}!', ctx())).toEqual({
      ok: true,
      text: 'Hi !',
    });
  });
});

describe('pathological templates', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i).join(',');
  const bodies = [
    // 10^8 iterations over an existing array: only the clock stops it.
    `{% assign xs = "${xs}" | split: "," %}{% for a in xs %}{% for b in xs %}{% for c in xs %}{% for d in xs %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}`,
    '{% for a in (1..1000000) %}{% for b in (1..1000000) %}x{% endfor %}{% endfor %}',
    // A doubling string: 10 × 2^40 characters if nothing stopped it.
    '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}',
    '{{ "xxxxxxxxxx" | split: "" | join: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" | split: "" | join: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" | split: "" | join: "zzzzzzzzzzzzzzzzzzzz" }}',
    `{% tablerow a in (1..10000000) %}{% endtablerow %}`,
    `{% capture c %}{% for a in (1..1000) %}{% for b in (1..1000) %}xxxxxxxxxx{% endfor %}{% endfor %}{% endcapture %}{{ c }}`,
  ];

  it('stops each within its bounds and names the problem', () => {
    for (const body of bodies) {
      const started = performance.now();
      const result = compile(body).render(ctx({ firstName: 'Ann' }));
      const took = performance.now() - started;
      expect(result.ok, body).toBe(false);
      if (!result.ok)
        expect(result.problems[0]?.message, body).toMatch(/too long to render|too much text/);
      // The clock is 50 ms; a check runs between tags, so allow the slack of a busy machine.
      expect(took, body).toBeLessThan(250);
    }
  });

  it('refuses a body over the parse bound', () => {
    expect(() => compile('x'.repeat(4_001))).toThrow(AppError);
  });
});
