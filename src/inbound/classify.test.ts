import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HELP_KEYWORDS,
  DEFAULT_OPT_IN_KEYWORDS,
  MANDATORY_OPT_OUT_KEYWORDS,
} from '../credentials/keywords.js';
import {
  classifyInbound,
  matchForm,
  trimSurrounding,
  withinOneEdit,
  type InboundCategory,
  type KeywordRules,
} from './classify.js';

const RULES: KeywordRules = {
  optOutKeywords: [...MANDATORY_OPT_OUT_KEYWORDS, 'ARRÊT'],
  optInKeywords: [...DEFAULT_OPT_IN_KEYWORDS],
  helpKeywords: [...DEFAULT_HELP_KEYWORDS],
  doubleOptInKeywords: ['JOIN'],
  customInboundKeywords: ['DISCOUNT', 'OFFERS'],
  fuzzyOptOut: 'off',
};

describe('matchForm', () => {
  it.each([
    [' Stop. ', 'STOP'],
    ['stop!!!', 'STOP'],
    ['«STOP»', 'STOP'],
    ['STOP 🛑', 'STOP'],
    ['ｓｔｏｐ', 'STOP'],
    ['arrêt', 'ARRET'],
    ['Ａrrêt\n', 'ARRET'],
    ["don't stop", "DON'T STOP"],
    ['...', ''],
  ])('%j → %j', (text, key) => expect(matchForm(text)).toBe(key));
});

describe('trimSurrounding', () => {
  it.each([
    ['', ''],
    ['  ', ''],
    ['🛑STOP🛑', 'STOP'],
    ['\u00A0\u3000STOP\u2028', 'STOP'],
    ['a  b', 'a  b'],
    ['!a!', 'a'],
    // A lone surrogate is not punctuation: left in place, never split further.
    ['\uDC00x\uD83D', '\uDC00x\uD83D'],
  ])('%j → %j', (text, trimmed) => expect(trimSurrounding(text)).toBe(trimmed));

  it('is linear: the worst cases for the old regex take milliseconds', () => {
    const worst = [
      'a' + ' '.repeat(120_000) + 'a',
      '.'.repeat(120_000) + 'a',
      'a' + '!?'.repeat(60_000) + 'a',
      '🛑'.repeat(60_000) + 'a',
    ];
    // Best of three: the old regex took 21.7 s on the first one every time; a busy shared
    // machine may stall any one run.
    for (const text of worst) {
      const runs = [0, 1, 2].map(() => {
        const started = performance.now();
        matchForm(text);
        return performance.now() - started;
      });
      expect(Math.min(...runs)).toBeLessThan(50);
    }
  });
});

describe('withinOneEdit (optimal string alignment ≤ 1)', () => {
  it.each([
    ['STOP', 'STOP', true],
    ['STOP', 'STPO', true], // swap of neighbours
    ['STOP', 'TSOP', true],
    ['STOP', 'STO', true], // deletion
    ['STOP', 'STOPP', true], // insertion
    ['STOP', 'SHOP', true], // substitution
    ['STOP', 'SPOT', false], // two substitutions
    ['STOP', 'OPTS', false],
    ['UNSUBSCRIBE', 'UNSUBSCRIBR', true],
    ['UNSUBSCRIBE', 'UNSUSCRIBE', true],
    ['UNSUBSCRIBE', 'UNSBUSCRIBE', true],
    ['UNSUBSCRIBE', 'UNSUBSCRIB', true],
    ['UNSUBSCRIBE', 'UNSUBSRCIBR', false],
    ['', 'A', true],
    ['AB', 'BA', true],
    ['ABC', 'CBA', false],
  ])('%s ~ %s: %s', (a, b, expected) => {
    expect(withinOneEdit(a, b)).toBe(expected);
    expect(withinOneEdit(b, a)).toBe(expected);
  });
});

type Row = [text: string, category: InboundCategory, keyword: string | null];

describe('classifyInbound: exact keywords, whole text, precedence', () => {
  it.each<Row>([
    ['stop', 'opt_out', 'STOP'],
    [' Stop. ', 'opt_out', 'STOP'],
    ['STOPALL', 'opt_out', 'STOPALL'],
    ['unsubscribe', 'opt_out', 'UNSUBSCRIBE'],
    ['Cancel', 'opt_out', 'CANCEL'],
    ['end', 'opt_out', 'END'],
    ['quit', 'opt_out', 'QUIT'],
    ['revoke', 'opt_out', 'REVOKE'],
    ['optout', 'opt_out', 'OPTOUT'],
    ['ARRÊT', 'opt_out', 'ARRÊT'],
    ['arret', 'opt_out', 'ARRÊT'],
    ['Arrêt !', 'opt_out', 'ARRÊT'],
    ['start', 'opt_in', 'START'],
    ['Yes', 'opt_in', 'YES'],
    ['unstop', 'opt_in', 'UNSTOP'],
    ['help', 'help', 'HELP'],
    ['info?', 'help', 'INFO'],
    ['join', 'double_opt_in', 'JOIN'],
    ['Discount', 'custom', 'DISCOUNT'],
    ['offers!', 'custom', 'OFFERS'],
    ["don't stop", 'none', null],
    ['stop it', 'none', null],
    ['stop texting me', 'none', null],
    ['STPO', 'none', null],
    ['hello there', 'none', null],
    ['', 'none', null],
    ['   ', 'none', null],
    ['🛑', 'none', null],
  ])('%j → %s', (text, category, keyword) => {
    expect(classifyInbound(text, RULES)).toEqual({ category, keyword, fuzzy: null });
  });

  it('puts opt-out before every other category when a word sits in two lists', () => {
    const rules = { ...RULES, optInKeywords: ['STOP'], customInboundKeywords: ['STOP', 'HELP'] };
    expect(classifyInbound('stop', rules).category).toBe('opt_out');
    expect(classifyInbound('help', rules).category).toBe('help');
    const more = { ...RULES, helpKeywords: ['JOIN'], doubleOptInKeywords: ['JOIN', 'YES'] };
    expect(classifyInbound('join', more).category).toBe('help');
    expect(classifyInbound('yes', more).category).toBe('opt_in');
  });
});

describe('classifyInbound: fuzzy opt-out', () => {
  const reply: KeywordRules = { ...RULES, fuzzyOptOut: 'reply' };
  const optOut: KeywordRules = { ...RULES, fuzzyOptOut: 'opt-out' };

  it.each<[string, string | null, 'near_miss' | 'phrase']>([
    ['STPO', 'STOP', 'near_miss'],
    ['stopp', 'STOP', 'near_miss'],
    ['Stpo.', 'STOP', 'near_miss'],
    ['unsubscrbe', 'UNSUBSCRIBE', 'near_miss'],
    ['unsusbcribe', 'UNSUBSCRIBE', 'near_miss'],
    ['cancle', 'CANCEL', 'near_miss'],
    ['quitt', 'QUIT', 'near_miss'],
    ['arrt', 'ARRÊT', 'near_miss'],
    ['stop texting me', null, 'phrase'],
    ['Stop texting me!!', null, 'phrase'],
    ['STOP IT', null, 'phrase'],
    ['remove me', null, 'phrase'],
    ['Please remove me from your list.', null, 'phrase'],
    ['opt me out', null, 'phrase'],
    ['unsubscribe me', null, 'phrase'],
    ["don't text me", null, 'phrase'],
    ['Don’t text me', null, 'phrase'],
    ['leave me alone', null, 'phrase'],
    ['stop please', 'STOP', 'phrase'],
    ['please unsubscribe', 'UNSUBSCRIBE', 'phrase'],
  ])('%j is a fuzzy opt-out (%s, %s)', (text, keyword, fuzzy) => {
    expect(classifyInbound(text, RULES)).toEqual({ category: 'none', keyword: null, fuzzy: null });
    expect(classifyInbound(text, reply)).toEqual({ category: 'fuzzy_opt_out', keyword, fuzzy });
    expect(classifyInbound(text, optOut)).toEqual({ category: 'opt_out', keyword, fuzzy });
  });

  it.each([
    ["don't stop", 'a negation is not a phrase'],
    ['stop by the shop later', 'a sentence that starts with stop'],
    ['END', 'exact match still wins'],
    ['ENDS', 'END is shorter than 4 letters: no near misses'],
    ['TOP', 'texts under 4 letters get no near misses'],
    ['STAR', 'two edits from STOP'],
    ['STARTT', 'near START (opt-in): never fuzzy into opt-in, and not near an opt-out word'],
    ['UNSTOPP', 'one edit from UNSTOP (opt-in)'],
    ['hello', 'unrelated'],
  ])('%j is not (%s)', (text) => {
    const result = classifyInbound(text, optOut);
    if (text === 'END')
      expect(result).toEqual({ category: 'opt_out', keyword: 'END', fuzzy: null });
    else expect(result.category).toBe('none');
  });

  it('does not fuzzy-match a near miss of an opt-out word that is also a near miss of an opt-in word', () => {
    // STARS is one edit from STAR(T) and, with STARE configured as opt-out, one edit from it too.
    const rules: KeywordRules = { ...optOut, optOutKeywords: [...RULES.optOutKeywords, 'STARE'] };
    expect(classifyInbound('STARTS', rules).category).toBe('none');
    expect(classifyInbound('STAREE', rules)).toEqual({
      category: 'opt_out',
      keyword: 'STARE',
      fuzzy: 'near_miss',
    });
  });

  it('prefers exact keywords of every category to fuzzy opt-out', () => {
    const rules: KeywordRules = { ...optOut, customInboundKeywords: ['STEP', 'REMOVE'] };
    expect(classifyInbound('step', rules).category).toBe('custom');
    expect(classifyInbound('remove', rules).category).toBe('custom');
    expect(classifyInbound('shop', rules)).toMatchObject({
      category: 'opt_out',
      fuzzy: 'near_miss',
    });
  });
});
