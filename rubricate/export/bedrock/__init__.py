"""Amazon Bedrock reinforcement fine-tuning: a reward Lambda, its rows and the job request.

- :mod:`.prepare`: the bundle (``rubricate export rft --platform bedrock``);
- :mod:`.lambda_function`, :mod:`.lambda_runtime`: the handler and its standard-library runtime,
  shipped in ``lambda.zip`` (:mod:`.package`);
- :mod:`.job`: the ``CreateModelCustomizationJob`` request, checked with botocore's model;
- :mod:`.submit`: ``--submit`` with boto3; :mod:`.verify`: ``--verify`` (the handler run as
  Lambda runs it, in its own process, beside the calibrated grader).
"""
