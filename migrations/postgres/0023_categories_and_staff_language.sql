-- Managed categories and the staff's own language (December 2026).
--
-- The categories a complaint can be filed under: a stable code (recorded in the events of new
-- complaints), its name in the four languages, and the FCA product group it reports under.
-- A category is never deleted (complaints keep naming it); a retired one is no longer offered.
CREATE TABLE categories
(
    code       text PRIMARY KEY,
    name_en    text        NOT NULL,
    name_es    text        NOT NULL,
    name_ro    text        NOT NULL,
    name_zh    text        NOT NULL,
    fca_group  text,
    position   integer     NOT NULL,
    retired    boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL
);

-- The mapping of the free-text categories complaints were filed under before the list (or
-- by any other way in) to a managed category. It is applied when the read models are read
-- (queue filter, reports, SLA dashboard, FCA return), never written into them, so a rebuild
-- gives the same rows and a corrected mapping shows everywhere at once. `mapped_by` is null
-- for the rows this migration seeds.
CREATE TABLE category_aliases
(
    value     text PRIMARY KEY,
    code      text        NOT NULL REFERENCES categories (code),
    mapped_by uuid,
    mapped_at timestamptz NOT NULL
);
CREATE INDEX category_aliases_code ON category_aliases (code);

INSERT INTO categories (code, name_en, name_es, name_ro, name_zh, position, created_at)
VALUES ('billing', 'Billing', 'Facturación', 'Facturare', '账单', 1, now()),
       ('delivery', 'Delivery', 'Entrega', 'Livrare', '配送', 2, now()),
       ('product', 'Product quality', 'Calidad del producto', 'Calitatea produsului', '产品质量', 3, now()),
       ('service', 'Customer service', 'Atención al cliente', 'Servicii clienți', '客户服务', 4, now()),
       ('staff', 'Staff', 'Personal', 'Personal', '员工', 5, now()),
       ('general', 'General', 'General', 'General', '一般', 6, now()),
       ('other', 'Other', 'Otro', 'Altceva', '其他', 7, now());

-- What the public form offered before (its English names) and the names above in every
-- language: complaints filed under them count under their category from the start.
INSERT INTO category_aliases (value, code, mapped_at)
SELECT DISTINCT ON (value) value, code, now()
  FROM (SELECT name_en AS value, code, position FROM categories
        UNION ALL SELECT name_es, code, position FROM categories
        UNION ALL SELECT name_ro, code, position FROM categories
        UNION ALL SELECT name_zh, code, position FROM categories
        UNION ALL SELECT 'Service', 'service', 4
        UNION ALL SELECT 'Servicio', 'service', 4
        UNION ALL SELECT 'Serviciu', 'service', 4
        UNION ALL SELECT '服务', 'service', 4) names
 WHERE value NOT IN (SELECT code FROM categories)
 ORDER BY value, position;

-- The language a member of staff reads Redress in (en, es, ro, zh); null: their browser's.
ALTER TABLE staff_accounts ADD COLUMN language text;
