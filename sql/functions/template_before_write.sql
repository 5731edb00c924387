-- Every template and partial is compiled when written, whichever way it is written. An UPDATE
-- stamps updated_at; an INSERT keeps the one it brings (a restored dump's), or the default.
CREATE OR REPLACE FUNCTION mc._template_before_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_TABLE_NAME = 'partial' THEN
    PERFORM mc._check_template_part('partial ' || NEW.name, NEW.body);
    IF TG_OP = 'UPDATE' THEN
      NEW.updated_at := now();
    END IF;
    RETURN NEW;
  END IF;
  CASE NEW.channel
    WHEN 'email' THEN
      IF NEW.subject IS NULL OR (NEW.body_html IS NULL AND NEW.body_text IS NULL) THEN
        RAISE EXCEPTION 'template "%": an email template needs subject and body_html or body_text', NEW.name
          USING ERRCODE = 'not_null_violation';
      END IF;
    WHEN 'sms' THEN
      IF NEW.body_text IS NULL THEN
        RAISE EXCEPTION 'template "%": an sms template needs body_text', NEW.name USING ERRCODE = 'not_null_violation';
      END IF;
    WHEN 'webhook' THEN
      IF NEW.webhook_url IS NULL THEN
        RAISE EXCEPTION 'template "%": a webhook template needs webhook_url', NEW.name USING ERRCODE = 'not_null_violation';
      END IF;
    ELSE  -- push
      IF NEW.subject IS NULL AND NEW.body_text IS NULL THEN
        RAISE EXCEPTION 'template "%": a push template needs subject (title) or body_text (body)', NEW.name
          USING ERRCODE = 'not_null_violation';
      END IF;
  END CASE;
  IF NEW.language IS NOT NULL AND NEW.language !~ '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$' THEN
    RAISE EXCEPTION 'template "%": language "%" is not a language tag such as "fr" or "pt-BR"', NEW.name, NEW.language
      USING ERRCODE = 'invalid_text_representation';
  END IF;
  PERFORM mc._check_template_part('sender', NEW.sender);
  PERFORM mc._check_template_part('subject', NEW.subject);
  PERFORM mc._check_template_part('body_html', NEW.body_html);
  PERFORM mc._check_template_part('body_text', NEW.body_text);
  PERFORM mc._check_template_part('push_data', NEW.push_data);
  PERFORM mc._check_template_part('webhook_url', NEW.webhook_url);
  IF NEW.unsubscribe_url IS NOT NULL AND NEW.channel <> 'email' THEN
    RAISE EXCEPTION 'template "%": unsubscribe_url is for email templates only', NEW.name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM mc._check_template_part('unsubscribe_url', NEW.unsubscribe_url);
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$;
