/** The TypeScript type of each JSON Schema `type` name. */
interface JsonTypes {
  string: string;
  number: number;
  integer: number;
  boolean: boolean;
  object: Record<string, unknown>;
  array: unknown[];
  null: null;
}

/**
 * The TypeScript type of the values a JSON Schema accepts, read from the few keywords the registry's schemas use
 * at their top level: `enum` and `const` give their values, `anyOf` the union of its members, `type` one name or
 * a list of names. Objects and arrays stay loose (`Record<string, unknown>`, `unknown[]`). A schema declared without
 * `as const` has lost its literal types and maps to `never`, which the compiler then refuses wherever it is used.
 *
 *   SchemaType<{ type: ['string', 'null'] }>                              = string | null
 *   SchemaType<{ anyOf: [{ enum: ['a', 'b'] }, { type: 'null' }] }>       = 'a' | 'b' | null
 */
export type SchemaType<S> = S extends { readonly enum: readonly (infer V)[] }
  ? V
  : S extends { readonly const: infer V }
    ? V
    : S extends { readonly anyOf: readonly (infer Member)[] }
      ? SchemaType<Member>
      : S extends { readonly type: infer T }
        ? JsonTypes[Extract<T extends readonly (infer Name)[] ? Name : T, keyof JsonTypes>]
        : unknown;
