import type { EventDraft } from './bus-engine';
import { envelopeHead, envelopeJson } from './envelope-json';

const draft: EventDraft = { id: 'e-1', channel: 'branch:b1', event: 'order:updated', data: { orderId: 'o"1', n: 2 }, ts: 1700000000000 };

describe('envelope JSON', () => {
  it('is the JSON of the envelope object, correlation id included', () => {
    const withCorrelation = { ...draft, correlationId: 'c\\1' };
    const json = envelopeJson(envelopeHead(withCorrelation), 7, 'ep"och');
    expect(JSON.parse(json)).toEqual({ ...withCorrelation, seq: 7, epoch: 'ep"och' });
  });

  it('uses the dataJson the caller measured instead of serializing data again', () => {
    // A dataJson that differs from data shows which one was written.
    const json = envelopeJson(envelopeHead({ ...draft, dataJson: '{"from":"dataJson"}' }), 1, 'e');
    expect((JSON.parse(json) as { data: unknown }).data).toEqual({ from: 'dataJson' });
  });

  it('leaves out undefined data as JSON.stringify does', () => {
    const json = envelopeJson(envelopeHead({ ...draft, data: undefined }), 1, 'e');
    expect(Object.keys(JSON.parse(json) as object)).not.toContain('data');
  });

  it('throws on data JSON cannot hold', () => {
    expect(() => envelopeHead({ ...draft, data: { n: 1n } })).toThrow(TypeError);
  });
});
