-- The SQLite benchmark's workload: tables filled by recursive CTEs, an
-- index, joins, grouping, sorting, window and string functions. Every
-- result is deterministic.
CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, price REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO items SELECT i, 'item-' || printf('%05d', (i * 7919) % 10007), i % 37, (i * 31 % 1000) / 10.0 FROM n;
CREATE TABLE orders(id INTEGER PRIMARY KEY, item INTEGER, qty INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
INSERT INTO orders SELECT i, 1 + (i * 613) % 2000, 1 + i % 9 FROM n;
CREATE INDEX orders_item ON orders(item);
SELECT count(*), sum(qty), min(item), max(item) FROM orders;
SELECT grp, count(*), round(sum(price), 2), round(avg(price), 3) FROM items GROUP BY grp ORDER BY grp LIMIT 8;
SELECT i.grp, sum(o.qty * i.price) AS total FROM orders o JOIN items i ON i.id = o.item
  GROUP BY i.grp ORDER BY total DESC LIMIT 5;
SELECT name FROM items ORDER BY name DESC LIMIT 3;
SELECT id, rank() OVER (ORDER BY price DESC, id) AS r FROM items WHERE grp = 5 ORDER BY r LIMIT 4;
SELECT length(group_concat(upper(name), ',')), hex(substr(group_concat(name), 1, 12)) FROM items WHERE id % 3 = 0;
SELECT count(*) FROM items WHERE name LIKE 'item-0%' AND price > 50;
UPDATE items SET price = price * 1.1 WHERE grp < 10;
DELETE FROM orders WHERE qty > 7;
SELECT count(*), round(sum(price), 2) FROM items;
SELECT count(*), total(qty) FROM orders;
SELECT sqlite_version();
