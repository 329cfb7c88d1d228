-- Managed categories and the staff's own language: see
-- migrations/postgres/0023_categories_and_staff_language.sql.
CREATE TABLE categories
(
    code       TEXT PRIMARY KEY,
    name_en    TEXT    NOT NULL,
    name_es    TEXT    NOT NULL,
    name_ro    TEXT    NOT NULL,
    name_zh    TEXT    NOT NULL,
    fca_group  TEXT,
    position   INTEGER NOT NULL,
    retired    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL
);

CREATE TABLE category_aliases
(
    value     TEXT PRIMARY KEY,
    code      TEXT NOT NULL REFERENCES categories (code),
    mapped_by BLOB,
    mapped_at TEXT NOT NULL
);
CREATE INDEX category_aliases_code ON category_aliases (code);

INSERT INTO categories (code, name_en, name_es, name_ro, name_zh, position, created_at)
VALUES ('billing', 'Billing', 'Facturación', 'Facturare', '账单', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
       ('delivery', 'Delivery', 'Entrega', 'Livrare', '配送', 2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
       ('product', 'Product quality', 'Calidad del producto', 'Calitatea produsului', '产品质量', 3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
       ('service', 'Customer service', 'Atención al cliente', 'Servicii clienți', '客户服务', 4, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
       ('staff', 'Staff', 'Personal', 'Personal', '员工', 5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
       ('general', 'General', 'General', 'General', '一般', 6, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
       ('other', 'Other', 'Otro', 'Altceva', '其他', 7, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

INSERT OR IGNORE INTO category_aliases (value, code, mapped_at)
SELECT value, code, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM (SELECT name_en AS value, code, position FROM categories
        UNION ALL SELECT name_es, code, position FROM categories
        UNION ALL SELECT name_ro, code, position FROM categories
        UNION ALL SELECT name_zh, code, position FROM categories
        UNION ALL SELECT 'Service', 'service', 4
        UNION ALL SELECT 'Servicio', 'service', 4
        UNION ALL SELECT 'Serviciu', 'service', 4
        UNION ALL SELECT '服务', 'service', 4)
 WHERE value NOT IN (SELECT code FROM categories)
 ORDER BY position;

ALTER TABLE staff_accounts ADD COLUMN language TEXT;
