-- A sqlite3 workload for the malloc drop-in's tests: inserts, indexes,
-- joins, aggregates and an integrity check. Output is deterministic.
PRAGMA cache_size = -20000;
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount REAL,
                    note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO customers SELECT i, 'customer-' || i, 'city-' || (i % 97) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)
INSERT INTO orders
  SELECT i, (i * 7919) % 20000 + 1, (i * 37 % 10000) / 100.0,
         substr(printf('%.*c', (i % 300) + 1, 'x'), 1, 300)
  FROM n;
CREATE INDEX orders_by_customer ON orders(customer);
CREATE INDEX customers_by_city ON customers(city, name);
SELECT c.city, count(*), round(sum(o.amount), 2)
  FROM customers c JOIN orders o ON o.customer = c.id
  GROUP BY c.city ORDER BY c.city LIMIT 10;
SELECT count(DISTINCT customer), max(length(note)) FROM orders;
UPDATE orders SET note = note || note WHERE id % 5 = 0;
DELETE FROM orders WHERE amount < 10;
SELECT count(*), round(avg(amount), 4), sum(length(note)) FROM orders;
VACUUM;
PRAGMA integrity_check;
