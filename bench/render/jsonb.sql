-- Renders per second from jsonb inside the backend (compiled once, rendered 200,000 times).
SELECT 'jsonb', mc._render_benchmark(:'tpl', (:'ctx')::jsonb, :'footer', 200000);
