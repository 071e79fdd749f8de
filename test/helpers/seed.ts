/** The seed's examples, verbatim (records-api.txt). */
export const SEED_CREATE_PAYLOAD = {
  field_3: 'type_a',
  field_4: 'sample-value',
  field_1: '[{"key":"value","data":"sample"}]',
  field_2: '{"key":"value","data":"response"}',
  field_5: {
    sub_field_a: 10,
    sub_field_b: 8,
    sub_field_c: 18,
  },
  field_10: 'entity_123',
  field_7: 1.2,
  field_9: {
    prop_1: 'value_a',
  },
};

export const SEED_FIELD_5 = { field_5: { sub_field_a: 150, sub_field_b: 85, sub_field_c: 235 } };
export const SEED_FIELD_9 = { field_9: { prop_1: 'value_a', prop_2: 'v1.0.0', prop_3: 'tier_a' } };

export const SEED_FILTERS = {
  filters: {
    field_6: { operator: 'gt', value: [10.0] },
    field_9__prop_3: { operator: 'in', value: ['tier_a', 'tier_b'] },
  },
};

export const SEED_FIELD_16 = {
  field_16: [
    {
      type: 'type_a',
      definition: {
        name: 'action_name',
        description: 'Action description',
        parameters: { type: 'object', properties: { param_x: { type: 'string' } }, required: ['param_x'] },
      },
    },
  ],
};

export const SEED_FIELD_17 = { field_17: { type: 'type_a', definition: { name: 'action_name' } } };

export const SEED_RESPONSE_KEYS = ['id', 'unique_id', 'org_id', 'field_10', 'status', 'field_6', 'timestamp'];
