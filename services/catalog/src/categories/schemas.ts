import { Type } from '@sinclair/typebox';
import { Envelope } from '@foodxchange/service-kit';

export const CategoryLeafSchema = Type.Object({
  slug: Type.String({ description: 'What a product carries as `category`, e.g. vegetables.tomatoes' }),
  label: Type.String({ description: 'English label' }),
});

export const CategoryGroupSchema = Type.Object(
  {
    slug: Type.String({ description: 'Top-level group, e.g. vegetables (filters on it find every leaf below)' }),
    label: Type.String(),
    children: Type.Array(CategoryLeafSchema),
  },
  { title: 'CategoryGroup' },
);

export const CategoryTreeEnvelope = Envelope(Type.Array(CategoryGroupSchema));
