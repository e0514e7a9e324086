import { validateSync } from 'class-validator';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import { IsId, IsKey } from './validators';

class Sample {
  @IsId()
  branchId!: unknown;

  @IsId({ platform: true })
  companyId!: unknown;

  @IsKey()
  jobId!: unknown;
}

const errorsOf = (fields: Record<string, unknown>) =>
  Object.fromEntries(
    validateSync(Object.assign(new Sample(), { branchId: 'b1', companyId: 'acme', jobId: 'j1', ...fields })).map((error) => [
      error.property,
      Object.values(error.constraints ?? {}),
    ]),
  );

describe('id validators', () => {
  it('accepts ids and keys, and "*" only where a platform token may name every company', () => {
    expect(errorsOf({})).toEqual({});
    expect(errorsOf({ companyId: '*', jobId: 'order-7.r1:kitchen', branchId: 'A_b-9' })).toEqual({});
    expect(errorsOf({ branchId: '*' })).toEqual({ branchId: ['branchId must match [A-Za-z0-9_-]{1,64}'] });
  });

  it('refuses look-alikes, dots in ids, over-long values and non-strings, naming the field', () => {
    expect(errorsOf({ branchId: 'bränch' }).branchId).toEqual(['branchId must match [A-Za-z0-9_-]{1,64}']);
    expect(errorsOf({ branchId: 'a.b' }).branchId).toHaveLength(1);
    expect(errorsOf({ branchId: 'x'.repeat(65) }).branchId).toHaveLength(1);
    expect(errorsOf({ companyId: '**' }).companyId).toEqual(['companyId must be "*" or match [A-Za-z0-9_-]{1,64}']);
    expect(errorsOf({ jobId: 'x'.repeat(129) }).jobId).toEqual(['jobId must be 1-128 characters of [A-Za-z0-9_.:-]']);
    expect(errorsOf({ jobId: 'has space' }).jobId).toHaveLength(1);
    expect(errorsOf({ jobId: 7 }).jobId).toEqual(expect.arrayContaining(['jobId must be a string']));
  });

  it('keeps the pattern in the JSON Schema that the publish fast path and OpenAPI are built from', () => {
    const schema = targetConstructorToSchema(Sample) as { properties: Record<string, { pattern?: string; type?: string }> };
    expect(schema.properties.branchId).toMatchObject({ type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' });
    expect(schema.properties.jobId).toMatchObject({ type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' });
  });
});
