import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { targetConstructorToSchema, validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { defaultConverters } from 'class-validator-jsonschema/build/defaultConverters';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import type { FieldError } from './validation';

/**
 * class-validator DTOs compiled once, at boot, into ajv validators, for the publish hot path.
 * The DTO stays the one description of a payload (sockets still validate with class-validator);
 * class-validator-jsonschema turns its decorators into a JSON Schema, and ajv compiles that into
 * a function. Validating a batch of 100 messages through class-transformer and class-validator
 * was ~30 % of the batch endpoint's CPU.
 *
 * Custom decorators have no schema of their own: each needs an entry in CUSTOM_SCHEMAS (a
 * property schema, or `{}` when the class carries the rule with @JSONSchema). Compiling a DTO with
 * a custom decorator that has none fails at boot, so a rule is never silently dropped.
 */

/**
 * Property schemas for our custom class-validator decorators, by their registered name. A custom
 * rule decides for itself whether a missing value passes; those in ACCEPT_MISSING do, so a
 * property checked only by them is not `required`.
 */
const ACCEPT_MISSING = new Set(['hasDetailsForType']);
const CUSTOM_SCHEMAS: Readonly<Record<string, SchemaObject>> = {
  // common/validators.ts IsIdentifier: a non-empty string (≤ 128) or a safe integer.
  isIdentifier: {
    anyOf: [
      { type: 'string', minLength: 1, maxLength: 128 },
      { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
    ],
  },
  // sync-status.dto.ts: the rule spans two fields; the class's @JSONSchema states it.
  hasDetailsForType: {},
};

/** How class-validator-jsonschema reads our DTOs: @Type for nested ones, and our custom rules. */
const CONVERSION = {
  classTransformerMetadataStorage: defaultMetadataStorage,
  refPointerPrefix: '#/definitions/',
  additionalConverters: CUSTOM_SCHEMAS,
};

/** Every DTO's JSON Schema by class name, read the way the validators read them (the OpenAPI document uses it). */
export function dtoSchemas(refPointerPrefix: string): Record<string, SchemaObject> {
  return validationMetadatasToSchemas({ ...CONVERSION, refPointerPrefix });
}

const BUILT_IN = new Set<string>(Object.values(ValidationTypes));

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });

export interface SchemaValidator {
  /** Field errors of `value`, with paths under `prefix` (e.g. `messages[3].data`); empty when valid. */
  (value: unknown, prefix?: string): FieldError[];
  readonly schema: SchemaObject;
}

export interface CompileOptions {
  /** Refuse properties the DTO does not declare (class-validator's forbidNonWhitelisted), at every level. */
  readonly closed?: boolean;
}

/** The JSON Schema of a DTO class (nested DTOs under `definitions`), as the validator checks it. */
export function schemaOf(dto: abstract new () => unknown, options: CompileOptions = {}): SchemaObject {
  assertConvertible(dto);
  const definitions: Record<string, SchemaObject> = {};
  const schema = targetConstructorToSchema(dto, CONVERSION) as SchemaObject;
  collectNested(schema, definitions);
  dropAcceptedMissing(dto, schema);
  nullableOptionals(schema);
  for (const nested of Object.values(definitions)) nullableOptionals(nested);
  return close({ ...schema, ...(Object.keys(definitions).length > 0 ? { definitions } : {}) }, options.closed === true);
}

/** Compiles a DTO class into a validator (once; keep the result). */
export function compileDto(dto: abstract new () => unknown, options: CompileOptions = {}): SchemaValidator {
  const schema = schemaOf(dto, options);
  const validate = ajv.compile(schema);
  const validator = (value: unknown, prefix = ''): FieldError[] => (validate(value) ? [] : fieldErrors(validate, prefix));
  return Object.assign(validator, { schema });
}

/** Nested DTOs (ValidateNested + @Type) are referenced by name; their schemas go under `definitions`. */
function collectNested(schema: SchemaObject, definitions: Record<string, SchemaObject>): void {
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    for (const value of Object.values(node)) visit(value);
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/definitions/')) {
      const name = ref.slice('#/definitions/'.length);
      if (definitions[name]) return;
      const nested = nestedClasses.get(name);
      if (!nested) throw new Error(`schema-validation: no class registered for nested DTO ${name}`);
      definitions[name] = {};
      const nestedSchema = targetConstructorToSchema(nested, CONVERSION) as SchemaObject;
      definitions[name] = nestedSchema;
      visit(nestedSchema);
    }
  };
  visit(schema);
}

const nestedClasses = new Map<string, abstract new () => unknown>();

/** Every DTO a compiled one refers to with @Type must be known by name; registered by assertConvertible. */
function assertConvertible(dto: abstract new () => unknown): void {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(dto, '', true, false);
  for (const meta of metadatas) {
    if (meta.type === ValidationTypes.CUSTOM_VALIDATION && meta.constraintCls) {
      const name = storage.getTargetValidatorConstraints(meta.constraintCls)[0]?.name;
      if (name !== undefined && !BUILT_IN.has(name) && !(name in defaultConverters) && !(name in CUSTOM_SCHEMAS)) {
        throw new Error(
          `schema-validation: ${dto.name}.${meta.propertyName} uses @${name}, which has no JSON Schema (add it to CUSTOM_SCHEMAS)`,
        );
      }
    }
    if (meta.type === ValidationTypes.NESTED_VALIDATION) {
      const nested = defaultMetadataStorage.findTypeMetadata(dto, meta.propertyName)?.typeFunction() as
        (abstract new () => unknown) | undefined;
      if (!nested) throw new Error(`schema-validation: ${dto.name}.${meta.propertyName} is nested without @Type`);
      nestedClasses.set(nested.name, nested);
      assertConvertible(nested);
    }
  }
}

/**
 * class-validator's @IsOptional skips null as well as a missing value: an optional property may
 * be null. (Callers treat null as absent.)
 */
function nullableOptionals(schema: SchemaObject): void {
  const properties = schema.properties as Record<string, SchemaObject> | undefined;
  if (!properties) return;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  for (const [name, property] of Object.entries(properties)) {
    if (!required.has(name) && Object.keys(property).length > 0) properties[name] = { anyOf: [{ type: 'null' }, property] };
  }
}

/** A property whose only rules accept a missing value is not required. */
function dropAcceptedMissing(dto: abstract new () => unknown, schema: SchemaObject): void {
  if (!Array.isArray(schema.required)) return;
  const storage = getMetadataStorage();
  const rules = new Map<string, string[]>();
  for (const meta of storage.getTargetValidationMetadatas(dto, '', true, false)) {
    const name = meta.constraintCls ? (storage.getTargetValidatorConstraints(meta.constraintCls)[0]?.name ?? meta.type) : meta.type;
    rules.set(meta.propertyName, [...(rules.get(meta.propertyName) ?? []), name]);
  }
  schema.required = (schema.required as string[]).filter(
    (property) => !(rules.get(property) ?? []).every((rule) => ACCEPT_MISSING.has(rule)),
  );
}

/** `additionalProperties: false` on every object schema that lists properties (when closed). */
function close(schema: SchemaObject, closed: boolean): SchemaObject {
  if (!closed) return schema;
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const object = node as SchemaObject;
    if (object.type === 'object' && object.properties && object.additionalProperties === undefined) {
      // `data` and other free-form objects have no `properties`, and stay open.
      object.additionalProperties = false;
    }
    for (const value of Object.values(object)) visit(value);
  };
  visit(schema);
  return schema;
}

/** ajv's errors as our field paths: `/messages/3/data/orderId` → `messages[3].data.orderId`. */
function fieldErrors(validate: ValidateFunction, prefix: string): FieldError[] {
  const byPath = new Map<string, string[]>();
  for (const error of validate.errors ?? []) {
    // "must match the then schema" repeats, at the parent, what the errors inside it say.
    if (error.keyword === 'if') continue;
    const path = pathOf(error, prefix);
    const message = messageOf(error, path);
    const list = byPath.get(path) ?? [];
    if (!list.includes(message)) list.push(message);
    byPath.set(path, list);
  }
  return [...byPath].map(([path, errors]) => ({ path, errors }));
}

function pathOf(error: ErrorObject, prefix: string): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === 'required' && extra.missingProperty !== undefined) segments.push(extra.missingProperty);
  if (error.keyword === 'additionalProperties' && extra.additionalProperty !== undefined) segments.push(extra.additionalProperty);
  let path = prefix;
  for (const segment of segments) path += /^\d+$/.test(segment) ? `[${segment}]` : path ? `.${segment}` : segment;
  return path;
}

function messageOf(error: ErrorObject, path: string): string {
  const name = path.split('.').pop() || '(payload)';
  if (error.keyword === 'required') return `${name} is required`;
  if (error.keyword === 'additionalProperties') return `property ${name} should not exist`;
  return `${name} ${error.message ?? 'is invalid'}`;
}
