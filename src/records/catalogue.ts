import { OPERATORS } from '../query/filters.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../query/list-params.ts';
import { FIELDS, METADATA_PREFIX, SORT_OPTIONS, isFilterable, isSortable, type ScalarKind } from '../fields/registry.ts';

/** A field as a client (the explorer) needs to know it to build filters and sort controls. */
export interface CatalogueField {
  name: string;
  description: string;
  kind: ScalarKind;
  filterable: boolean;
  sortable: boolean;
  /** The closed set of values, when the registry declares one (field_3, status). */
  values?: string[];
}

/** What the registry says about filtering and sorting, for GET /api/meta/fields. */
export function fieldCatalogue() {
  const fields: CatalogueField[] = FIELDS.flatMap((f) => {
    const filterable = isFilterable(f);
    const sortable = isSortable(f);
    if (!filterable && !sortable) return [];
    const values = (f.output as { enum?: unknown[] } | undefined)?.enum;
    return {
      name: f.name,
      description: f.description,
      kind: f.scalar,
      filterable,
      sortable,
      ...(Array.isArray(values) ? { values: values.map(String) } : {}),
    };
  });
  return {
    fields,
    operators: [...OPERATORS],
    metadata_prefix: METADATA_PREFIX,
    sort_options: { ...SORT_OPTIONS },
    default_sort: '-id',
    default_page_size: DEFAULT_PAGE_SIZE,
    max_page_size: MAX_PAGE_SIZE,
  };
}
