import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import * as ts from 'typescript';
import { http } from '../support/http';
import { startTestNode, TestNode } from '../support/test-node';

const WIRE_TYPES = join(__dirname, '../../clients/typescript/src/wire.ts');

/** A JSON schema as far as this check reads it. */
interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Schema;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
  components: { schemas: Record<string, Schema> };
}

/** An object type reduced to what both sides can say: each property's type and whether it is required. */
interface Shape {
  properties: Record<string, { type: string; required: boolean }>;
  /** The type of properties beyond those named (an index signature, additionalProperties), if any. */
  additional?: string;
}

/** The six JSON types: a value that may be any of them is `unknown` in TypeScript. */
const ANY_JSON = ['array', 'boolean', 'null', 'number', 'object', 'string'].join('|');
const union = (members: string[]): string => [...new Set(members)].sort().join('|');

/**
 * The client's hand-written wire types (clients/typescript/src/wire.ts) against
 * the OpenAPI document a node serves: every interface there names a schema
 * (or an operation's query parameters), and each property has the same name,
 * the same type and the same optionality on both sides.
 */
describe("the TypeScript client's wire types", () => {
  let node: TestNode;
  let document: OpenApiDocument;
  let wire: Record<string, Shape>;

  beforeAll(async () => {
    node = await startTestNode();
    document = (await http(node.baseUrl, 'GET', '/kv-store/v1/openapi.json')).body as OpenApiDocument;
    wire = readWireTypes();
  }, 30_000);
  afterAll(async () => {
    await node?.close();
  });

  /** What each wire type is checked against, besides the component schema of the same name. */
  function schemaFor(name: string): Schema | undefined {
    const query = (path: string): Schema => {
      const parameters = (document.paths[path]?.get?.parameters ?? []).filter((parameter) => parameter.in === 'query');
      return {
        type: 'object',
        properties: Object.fromEntries(parameters.map((parameter) => [parameter.name, parameter.schema])),
        required: parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name),
      };
    };
    if (name === 'ListQuery') return query('/kv-store/v1/kv');
    if (name === 'GetQuery') return query('/kv-store/v1/kv/{key}');
    if (name === 'HealthIndicator')
      return document.components.schemas.HealthResult?.properties?.details?.additionalProperties as Schema;
    return document.components.schemas[name];
  }

  it('name every schema of the document, and nothing else', () => {
    for (const name of Object.keys(document.components.schemas)) expect(wire).toHaveProperty([name]);
    for (const name of Object.keys(wire))
      expect({ name, described: schemaFor(name) !== undefined }).toEqual({ name, described: true });
  });

  it('match the document property by property', () => {
    const named = Object.keys(wire).map((name) => [name, schemaFor(name)] as const);
    for (const [name, schema] of named) {
      expect({ name, shape: wire[name] }).toEqual({ name, shape: schemaShape(schema!, named) });
    }
  });

  it('would notice a difference (the comparison is not vacuous)', () => {
    const entry = schemaShape(schemaFor('Entry')!, []);
    expect(wire.Entry).toEqual(entry);
    expect(wire.Entry).not.toEqual({
      ...entry,
      properties: { ...entry.properties, version: { type: 'string', required: true } },
    });
    expect(wire.ListPage!.properties.nextCursor).toEqual({ type: 'null|string', required: true });
    expect(wire.Entry!.properties.value).toEqual({ type: 'unknown', required: true });
  });
});

/** Every exported interface of wire.ts, read with the TypeScript compiler. */
function readWireTypes(): Record<string, Shape> {
  const program = ts.createProgram([WIRE_TYPES], { strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(WIRE_TYPES)!;
  const names = new Set<string>();
  ts.forEachChild(source, (child) => {
    if (ts.isInterfaceDeclaration(child)) names.add(child.name.text);
  });
  const shapes: Record<string, Shape> = {};
  ts.forEachChild(source, (child) => {
    if (!ts.isInterfaceDeclaration(child)) return;
    const type = checker.getTypeAtLocation(child);
    const properties: Shape['properties'] = {};
    for (const property of checker.getPropertiesOfType(type)) {
      properties[property.name] = {
        type: typeShape(checker.getTypeOfSymbolAtLocation(property, child), checker, names),
        required: (property.flags & ts.SymbolFlags.Optional) === 0,
      };
    }
    const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    shapes[child.name.text] = index
      ? { properties, additional: typeShape(index.type, checker, names) }
      : { properties };
  });
  return shapes;
}

/** A TypeScript type in the notation schemaShape writes: "number", "null|string", "array<Entry>", "record<X>". */
function typeShape(type: ts.Type, checker: ts.TypeChecker, interfaces: Set<string>): string {
  if (type.isUnion())
    return union(
      type.types.map((member) => typeShape(member, checker, interfaces)).filter((member) => member !== 'undefined'),
    );
  const flags = type.flags;
  if (flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any)) return 'unknown';
  if (flags & ts.TypeFlags.Number) return 'number';
  if (flags & ts.TypeFlags.String) return 'string';
  if (flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return 'boolean';
  if (flags & ts.TypeFlags.Null) return 'null';
  if (flags & ts.TypeFlags.Undefined) return 'undefined';
  if (type.isNumberLiteral()) return String(type.value);
  if (type.isStringLiteral()) return JSON.stringify(type.value);
  if (checker.isArrayType(type))
    return `array<${typeShape(checker.getTypeArguments(type as ts.TypeReference)[0]!, checker, interfaces)}>`;
  const name = type.getSymbol()?.name;
  if (name !== undefined && interfaces.has(name)) return name;
  const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
  if (index) return `record<${typeShape(index.type, checker, interfaces)}>`;
  return 'object';
}

/** An object schema as a Shape; `named` turns inline schemas that are a wire type's into its name. */
function schemaShape(schema: Schema, named: readonly (readonly [string, Schema | undefined])[]): Shape {
  const required = new Set(schema.required ?? []);
  const properties: Shape['properties'] = {};
  for (const [name, property] of Object.entries(schema.properties ?? {}))
    properties[name] = { type: schemaType(property, named), required: required.has(name) };
  const additional = schema.additionalProperties;
  if (additional === undefined || additional === false) return { properties };
  return { properties, additional: additional === true ? 'unknown' : schemaType(additional, named) };
}

function schemaType(schema: Schema, named: readonly (readonly [string, Schema | undefined])[]): string {
  if (schema.$ref !== undefined) return schema.$ref.split('/').pop()!;
  const same = named.find(([, other]) => other !== undefined && isDeepStrictEqual(other, schema));
  if (same) return same[0];
  if (schema.oneOf) {
    const members = union(schema.oneOf.map((member) => schemaType(member, named)));
    return members === ANY_JSON ? 'unknown' : members;
  }
  if (schema.enum)
    return union(schema.enum.map((value) => (typeof value === 'string' ? JSON.stringify(value) : String(value))));
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'unknown'];
  return union(
    types.map((type) => {
      if (type === 'integer' || type === 'number') return 'number';
      if (type === 'array') return schema.items ? `array<${schemaType(schema.items, named)}>` : 'array';
      if (type === 'object' && typeof schema.additionalProperties === 'object')
        return `record<${schemaType(schema.additionalProperties, named)}>`;
      return type;
    }),
  );
}
