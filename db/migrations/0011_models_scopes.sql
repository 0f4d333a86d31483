-- Model registry routes now need models:read / models:write instead of datasets:read / datasets:write.
-- Keys made before keep what they could do: each datasets scope brings its models counterpart.
UPDATE "api_keys" SET "scopes" = array_append("scopes", 'models:read')
  WHERE 'datasets:read' = ANY("scopes") AND NOT 'models:read' = ANY("scopes");--> statement-breakpoint
UPDATE "api_keys" SET "scopes" = array_append("scopes", 'models:write')
  WHERE 'datasets:write' = ANY("scopes") AND NOT 'models:write' = ANY("scopes");
